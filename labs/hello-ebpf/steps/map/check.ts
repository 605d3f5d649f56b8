import { checkError, fail, pass, type CheckContext, type CheckOutcome } from '@ebpf-lab/check-sdk';
import type { LiveProg } from '../../lib/hello-state.ts';
import { attachedHello, dumpMap, execCountOf } from '../../lib/hello-state.ts';
import { parseDump } from '../../lib/map-dump.ts';

/**
 * Passes when exec-count.json is bpftool's JSON dump of THIS lab's exec_count map (the one the
 * running bpf/hello holds), compared entry by entry with the live map: the same key and value
 * widths, every uid in the file is in the map, no count is above the live one (counts only grow),
 * it has a count for uid 0, and the file was written after the loader started (a dump from an
 * earlier run is stale). The lesson's `bpftool -j map dump name exec_count` prints every map of
 * that name on the host when several labs run; the file then must hold this lab's map, by id.
 */
export default async function check(ctx: CheckContext) {
  const { attached } = await attachedHello(ctx);
  const text = await ctx.readFile('exec-count.json');
  // Normally one loader; a learner who started hello twice may have dumped either one's map.
  const held: { prog: LiveProg; map: { id: number; key_size?: number; value_size?: number } }[] = [];
  for (const { prog } of attached) {
    const map = await execCountOf(ctx, prog);
    if (map && !held.some((h) => h.map.id === map.id)) held.push({ prog, map });
  }
  if (!held.length) {
    return fail(
      'bpf/hello from step 2 is not running in this lab, so there is no exec_count map to compare your dump with: start ./bpf/.output/hello again, then dump its map',
      {
        expected: 'a running hello holding exec_count',
        actual: `${text === null ? 'no exec-count.json; ' : ''}no exec_count map held by this lab`,
      },
    );
  }
  if (text === null)
    return fail(`exec-count.json does not exist yet: dump the exec_count map (id ${held[0]!.map.id}) with bpftool -j into it`, {
      expected: 'exec-count.json',
      actual: 'no such file',
    });
  let first: CheckOutcome | undefined;
  for (const h of held) {
    const o = await judge(ctx, text, h.prog, h.map);
    if (o.status !== 'fail') return o;
    first ??= o;
  }
  return first!;
}

async function judge(ctx: CheckContext, text: string, prog: LiveProg, map: { id: number; key_size?: number; value_size?: number }): Promise<CheckOutcome> {
  const grading = ctx.mode === 'grade';
  const parsed = parseDump(text, grading ? null : map.id, map.key_size ?? 4, map.value_size ?? 8);
  if (!parsed.ok) return fail(parsed.why, { expected: `bpftool -j map dump of exec_count${grading ? '' : ` (map id ${map.id})`}`, actual: parsed.actual });
  const saved = parsed.entries;
  if (grading) {
    // The map the learner dumped died with their lab; only the dump's own form can be judged.
    const root = saved.get(0n);
    if (root === undefined)
      return fail('exec-count.json has no count for uid 0 (root): the dump was taken before any program ran', {
        expected: 'an entry with key 0',
        actual: `keys: ${[...saved.keys()].join(', ') || 'none'}`,
      });
    return pass(
      `exec-count.json is in bpftool's JSON form of an exec_count dump (uid 0 → ${root}); graded from the submission alone: the live map it came from is gone, so it was not compared entry by entry`,
      { actual: `uid 0 → ${root}` },
    );
  }

  let live: Map<bigint, bigint>;
  try {
    live = await dumpMap(ctx, map.id);
  } catch (e) {
    return checkError(`reading map ${map.id}: ${(e as Error).message}`);
  }
  const liveText = [...live].map(([k, v]) => `uid ${k} → ${v}`).join(', ') || 'empty';
  for (const [k, v] of saved) {
    const now = live.get(k);
    if (now === undefined)
      return fail(
        `exec-count.json has uid ${k}, which this lab's exec_count map (id ${map.id}) has never counted: it did not come from this map. Dump it again with bpftool -j`,
        { expected: `keys of map ${map.id}: ${[...live.keys()].join(', ')}`, actual: `uid ${k} → ${v}` },
      );
    if (v > now)
      return fail(
        `exec-count.json says uid ${k} ran ${v} programs, more than the live map (id ${map.id}) has counted now (${now}); counts only grow, so this dump is not from this map (or from an earlier run of hello). Dump it again`,
        { expected: `uid ${k} ≤ ${now}`, actual: `uid ${k} → ${v}` },
      );
  }
  const root = saved.get(0n);
  if (root === undefined)
    return fail('exec-count.json has no count for uid 0 (root): run a command or two while hello runs, then dump again', {
      expected: 'an entry with key 0',
      actual: `keys: ${[...saved.keys()].join(', ') || 'none'}`,
    });

  // Written after the loader loaded this map? bpftool's loaded_at and the file's mtime are both
  // wall-clock seconds; 2 s of slack absorbs rounding and clock steps.
  const mtime = Number((await ctx.exec('stat -c %Y exec-count.json')).stdout.trim());
  if (prog.loaded_at && mtime && mtime < prog.loaded_at - 2) {
    return fail('exec-count.json is older than the running hello: it is a dump from an earlier run, whose map is gone. Dump the live map again', {
      expected: `written after ${new Date(prog.loaded_at * 1000).toISOString()} (when ${prog.name} was loaded)`,
      actual: `written ${new Date(mtime * 1000).toISOString()}`,
    });
  }
  return pass(
    `exec-count.json is a dump of this lab's exec_count (map id ${map.id}): ${saved.size} entr${saved.size === 1 ? 'y' : 'ies'}, each within the live counts; uid 0 ran ${root} programs then, ${live.get(0n)} now`,
    { actual: `file: uid 0 → ${root}; live: ${liveText}` },
  );
}
