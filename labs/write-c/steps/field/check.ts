import { fail, labPerfLinks, labProgs, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { execAs, freshUid } from '../../lib/exec-as.ts';

const LOG = 'execsnoop.log';
const EXECS = 3;

/**
 * Passes when this lab runs execsnoop and the lines it prints for the check's own execs (as a
 * fresh uid, through setpriv) carry that uid: the new field travels from the BPF program through
 * the ring buffer to userspace.
 */
export default async function check(ctx: CheckContext) {
  const expected = `execsnoop attached and printing to ${LOG}; the check's execs as a fresh uid show up as "comm=setpriv … uid=<that uid>"`;
  const [progs, links] = await Promise.all([labProgs(ctx), labPerfLinks(ctx)]);
  const snoop = progs.find((p) => p.name === 'execsnoop' && links.some((l) => l.prog_id === p.id));
  if (!snoop) {
    return fail(`execsnoop is not running in this lab: make -C bpf execsnoop, then ./bpf/.output/execsnoop > ${LOG} 2>&1 &`, {
      expected,
      actual: progs.map((p) => `${p.name ?? '?'} (id ${p.id})`).join(', ') || 'no BPF program held by this lab',
    });
  }
  const offset = ((await ctx.readFile(LOG)) ?? '').length;
  const uid = freshUid();
  await execAs(ctx, uid, EXECS);
  let lines: string[] = [];
  // The loader polls its ring buffer every 200 ms; give a loaded machine a few seconds.
  for (let i = 0; i < 50 && lines.length < EXECS; i++) {
    await new Promise((r) => setTimeout(r, 100));
    lines = ((await ctx.readFile(LOG)) ?? '')
      .slice(offset)
      .split('\n')
      .filter((l) => /\bcomm=setpriv\b/.test(l));
  }
  const actual = lines.length ? `new lines: ${lines.slice(0, 3).join(' | ')}` : `no new "comm=setpriv" line in ${LOG}`;
  if (!lines.length)
    return fail(`execsnoop (prog id ${snoop.id}) runs, but ${LOG} shows none of the check's ${EXECS} execs: start it with its output in ${LOG}`, {
      expected,
      actual,
    });
  const seen = lines.map((l) => /\buid=(\d+)/.exec(l)?.[1]);
  if (seen.every((u) => u === undefined)) {
    return fail(
      'the events carry no uid yet: add it to struct exec_event (execsnoop.h), set it in execsnoop.bpf.c, print it in execsnoop.c, then rebuild and restart execsnoop',
      { expected, actual },
    );
  }
  if (!seen.includes(String(uid))) {
    return fail(
      `the check's execs ran as uid ${uid}, but the lines say uid=${[...new Set(seen)].join(', ')}: bpf_get_current_uid_gid() returns gid << 32 | uid, and the uid is its low 32 bits`,
      { expected, actual },
    );
  }
  return pass(`execsnoop's events carry the uid: the check's execs as uid ${uid} printed uid=${uid}`, { expected, actual });
}
