import { fail, labMaps, labPerfLinks, labProgs, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { execAs, freshUid } from '../../lib/exec-as.ts';

const SRC = 'bpf/execcount/execcount.bpf.c';
const EXECS = 3;

/** The verifier's last words on the current source: null when it loads. */
async function verifierSays(ctx: CheckContext): Promise<string | null> {
  const r = await ctx.exec(
    [
      'make -s -C bpf execcount >/dev/null 2>&1 || { echo "@@compile"; make -s -C bpf execcount 2>&1 | tail -5; exit 0; }',
      // A throwaway pin dir in the lab's bpffs (which holds no plain files, so the log goes to a pipe).
      'd=$(mktemp -d /sys/fs/bpf/check-XXXXXX) || exit 125',
      'log=$(bpftool prog loadall bpf/.output/execcount.bpf.o "$d" 2>&1); rc=$?',
      'rm -rf "$d"; [ $rc = 0 ] || printf "%s\\n" "$log" | sed -n "/BEGIN PROG LOAD LOG/,/END PROG LOAD LOG/p" | tail -6',
    ].join('\n'),
    { timeoutMs: 60_000 },
  );
  if (r.code === 125) throw new Error(`cannot make a pin dir in /sys/fs/bpf: ${r.stderr}`);
  const out = r.stdout.trim();
  if (!out) return null;
  if (out.startsWith('@@compile')) return `it does not compile: ${out.replace('@@compile', '').trim().split('\n').slice(-2).join(' ')}`;
  const line = /@ execcount\.bpf\.c:(\d+)/.exec([...out.matchAll(/@ execcount\.bpf\.c:\d+/g)].at(-1)?.[0] ?? '')?.[1];
  const why = out
    .split('\n')
    .filter((l) => !/^(;|\d+:|--|processed)/.test(l.trim()))
    .join(' ')
    .trim();
  return `the verifier rejects it${line ? ` at ${SRC}:${line}` : ''}: ${why || 'see Build & load'}`;
}

/** exec_by_uid[uid] from a dump with BTF (bpftool prints the key and value as numbers). */
function countFor(dump: { formatted?: { key?: unknown; value?: unknown } }[], uid: number): number {
  const e = dump.find((x) => Number(x.formatted?.key) === uid);
  return e ? Number(e.formatted?.value ?? 0) : 0;
}

/**
 * Passes when execcount's current source passes the verifier, this lab runs it attached to
 * execve, and the check's own execs as a fresh uid are counted in exec_by_uid.
 */
export default async function check(ctx: CheckContext) {
  const expected = `${SRC} accepted by the verifier, execcount running, and ${EXECS} execs by a fresh uid counted in exec_by_uid`;
  const rejected = await verifierSays(ctx);
  if (rejected) return fail(`${rejected} — "Build & load" in the editor marks the line; a map lookup may return NULL`, { expected, actual: rejected });
  const [progs, links] = await Promise.all([labProgs(ctx), labPerfLinks(ctx)]);
  const prog = progs.find((p) => p.name === 'execcount' && links.some((l) => l.prog_id === p.id));
  if (!prog) {
    return fail('execcount now passes the verifier, but it is not running in this lab: ./bpf/.output/execcount > execcount.log 2>&1 &', {
      expected,
      actual: progs.map((p) => `${p.name ?? '?'} (id ${p.id})`).join(', ') || 'no BPF program held by this lab',
    });
  }
  const map = (await labMaps(ctx)).find((m) => m.name === 'exec_by_uid' && (prog.map_ids ?? []).includes(m.id));
  if (!map)
    return fail(`the running execcount (prog id ${prog.id}) has no exec_by_uid map`, { expected, actual: `maps ${JSON.stringify(prog.map_ids ?? [])}` });
  const uid = freshUid();
  const dump = () => ctx.json<{ formatted?: { key?: unknown; value?: unknown } }[]>(`bpftool -j map dump id ${map.id}`);
  const before = countFor(await dump(), uid);
  await execAs(ctx, uid, EXECS);
  const after = countFor(await dump(), uid);
  const actual = `exec_by_uid[${uid}]: ${before} before, ${after} after ${EXECS} execs`;
  if (after - before < EXECS) {
    return fail(
      `execcount loads and runs, but counted ${after - before} of the check's ${EXECS} execs as uid ${uid}: each exec must create the uid's entry if needed and add 1 to it`,
      { expected, actual },
    );
  }
  return pass(`execcount passes the verifier and counted the check's ${EXECS} execs as uid ${uid}`, { expected, actual });
}
