import { bpftoolNumber, checkError, fail, labMaps, pass, type CheckContext } from '@ebpf-lab/lab-spec';

interface Entry { key: unknown; value: unknown; formatted?: { key: unknown; value: unknown } }

function entries(json: unknown): Map<bigint, bigint> | null {
  // `bpftool -j map dump` prints an array of {key, value} (or {formatted:{…}} on older versions).
  if (!Array.isArray(json)) return null;
  const out = new Map<bigint, bigint>();
  for (const e of json as Entry[]) {
    const k = bpftoolNumber(e.formatted?.key ?? e.key);
    const v = bpftoolNumber(e.formatted?.value ?? e.value);
    if (k === null || v === null) return null;
    out.set(k, v);
  }
  return out;
}

/**
 * Passes when exec-count.json is a bpftool JSON dump of exec_count with a count for uid 0, and no
 * count in it is above what the lab's live map holds now (counts only grow).
 */
export default async function check(ctx: CheckContext) {
  const text = await ctx.readFile('exec-count.json');
  if (text === null) return fail('exec-count.json does not exist yet: dump the exec_count map with bpftool -j into it', { expected: 'exec-count.json', actual: 'no such file' });
  let saved: Map<bigint, bigint> | null = null;
  try { saved = entries(JSON.parse(text)); } catch { /* reported below */ }
  if (!saved) return fail('exec-count.json is not a bpftool JSON map dump (use bpftool -j map dump …)', { actual: text.slice(0, 120) });
  const root = saved.get(0n);
  if (!root) return fail('exec-count.json has no count for uid 0 (root): was hello running when you dumped it?', { expected: 'an entry with key 0', actual: `keys: ${[...saved.keys()].join(', ') || 'none'}` });
  const live = (await labMaps(ctx)).find((m) => m.name === 'exec_count');
  if (!live) return fail('the exec_count map is not loaded in this lab: start bpf/hello again (step 2) so your dump can be compared with it', { actual: `uid 0 → ${root} in your file` });
  let now: Map<bigint, bigint> | null;
  try { now = entries(await ctx.json(`bpftool -j map dump id ${live.id}`)); } catch (e) { return checkError(`reading map ${live.id}: ${(e as Error).message}`); }
  const liveRoot = now?.get(0n) ?? 0n;
  if (root > liveRoot) return fail('your dump shows more execs than the live exec_count map: it did not come from this lab\'s map', { expected: `uid 0 ≤ ${liveRoot}`, actual: `uid 0 → ${root}` });
  return pass(`exec-count.json: uid 0 ran ${root} programs when you dumped it (the map now says ${liveRoot})`, { actual: `uid 0 → ${root}` });
}
