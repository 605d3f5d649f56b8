// Reads a learner's exec-count.json as bpftool wrote it. Pure, so the unit test covers every shape.

export type ParsedDump = { ok: true; entries: Map<bigint, bigint> } | { ok: false; why: string; actual: string };

interface Row {
  key?: unknown;
  value?: unknown;
  formatted?: { key?: unknown; value?: unknown };
}
interface MapObject {
  id?: unknown;
  name?: unknown;
  elements?: unknown;
}

const isBytes = (v: unknown): v is string[] => Array.isArray(v) && v.every((b) => typeof b === 'string' && /^0x[0-9a-f]{2}$/i.test(b));
const le = (bytes: string[]) => bytes.reduceRight((acc, b) => (acc << 8n) | BigInt(Number.parseInt(b, 16)), 0n);
const asInt = (v: unknown): bigint | null =>
  typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : null;

/**
 * bpftool's JSON dump of a map is an array of rows whose `key` and `value` are the raw bytes as
 * hex strings (little-endian), plus `formatted` decoded with BTF when the map has it. A dump by
 * name of several maps is an array of {id, name, elements: rows}. Hand-written JSON rarely has
 * the raw bytes, and never bytes that agree with `formatted`, so both are required to match.
 */
/** `mapId` null: any map of the dump will do (grading, where the learner's maps are long gone). */
export function parseDump(text: string, mapId: number | null, keySize: number, valueSize: number): ParsedDump {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const plain = /^key:|^\s*key:|"key":/m.test(text) || /^\[?\{?\s*$/.test(text.trim());
    return {
      ok: false,
      why: `exec-count.json is not JSON${plain ? " (it looks like bpftool's plain-text dump)" : ''}: dump with bpftool -j map dump …, the -j makes it JSON`,
      actual: text.trim().slice(0, 120) || 'an empty file',
    };
  }
  if (!Array.isArray(json))
    return {
      ok: false,
      why: 'exec-count.json is JSON but not a bpftool map dump (that is a JSON array): dump with bpftool -j map dump …',
      actual: text.trim().slice(0, 120),
    };
  let rows: Row[] = json as Row[];
  if (json.length && json.every((x) => x && typeof x === 'object' && 'elements' in (x as object))) {
    // Several maps (a dump by name): keep this lab's, by id.
    const maps = json as MapObject[];
    const mine = mapId === null ? maps.find((m) => m.name === 'exec_count') : maps.find((m) => m.id === mapId);
    if (!mine)
      return {
        ok: false,
        why: `exec-count.json holds map${maps.length === 1 ? '' : 's'} ${maps.map((m) => `id ${String(m.id)}`).join(', ')}, but this lab's exec_count is ${mapId === null ? 'not among them' : `map id ${mapId} (the others belong to other labs on this machine): dump yours with bpftool -j map dump id ${mapId}`}`,
        actual: `map ids in the file: ${maps.map((m) => String(m.id)).join(', ')}`,
      };
    if (!Array.isArray(mine.elements))
      return {
        ok: false,
        why: `map id ${mapId} in exec-count.json has no elements array: dump it again with bpftool -j`,
        actual: JSON.stringify(mine).slice(0, 120),
      };
    rows = mine.elements as Row[];
  }
  const entries = new Map<bigint, bigint>();
  for (const [i, r] of rows.entries()) {
    const shown = JSON.stringify(r).slice(0, 120);
    if (r && typeof r === 'object' && asInt(r.key) !== null && asInt(r.value) !== null) {
      // Without -j, bpftool prints a BTF map as decoded numbers only; a hand-written file looks the same.
      return {
        ok: false,
        why: 'exec-count.json holds decoded numbers only ({"key":…,"value":…}): that is bpftool\'s plain dump without -j, or a file written by hand. bpftool -j also prints the raw bytes, which the check compares: dump with bpftool -j map dump …',
        actual: shown,
      };
    }
    if (!r || typeof r !== 'object' || !isBytes(r.key) || !isBytes(r.value)) {
      return {
        ok: false,
        why: `entry ${i + 1} of exec-count.json is not what bpftool -j prints (its "key" and "value" are the raw bytes, e.g. ["0x00","0x00","0x00","0x00"]): save bpftool's own output, do not write it by hand`,
        actual: shown,
      };
    }
    if (r.key.length !== keySize || r.value.length !== valueSize) {
      return {
        ok: false,
        why: `entry ${i + 1} has a ${r.key.length}-byte key and ${r.value.length}-byte value, but exec_count has ${keySize}-byte keys (uid) and ${valueSize}-byte values (count): it is a dump of some other map`,
        actual: shown,
      };
    }
    const k = le(r.key);
    const v = le(r.value);
    if (r.formatted !== undefined) {
      const fk = asInt(r.formatted?.key);
      const fv = asInt(r.formatted?.value);
      if (fk !== k || fv !== v)
        return {
          ok: false,
          why: `entry ${i + 1}: its raw bytes say uid ${k} → ${v} but "formatted" says ${String(r.formatted?.key)} → ${String(r.formatted?.value)}; bpftool never prints that, so the file was edited. Dump it again`,
          actual: shown,
        };
    }
    if (entries.has(k))
      return {
        ok: false,
        why: `exec-count.json has uid ${k} twice; a map has each key once, so the file was edited or merged from two dumps. Dump it again`,
        actual: shown,
      };
    entries.set(k, v);
  }
  return { ok: true, entries };
}
