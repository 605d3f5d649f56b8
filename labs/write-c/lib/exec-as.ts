import type { CheckContext } from '@ebpf-lab/check-sdk';

/** A uid no one else uses, different on every check run, so old events or counts cannot pass. */
export const freshUid = () => 40000 + Math.floor(Math.random() * 20000);

/** Runs /bin/true `times` times as `uid` (setpriv changes uid, then execs: the exec is that uid's). */
export async function execAs(ctx: CheckContext, uid: number, times: number): Promise<void> {
  const r = await ctx.exec(`for i in $(seq ${times}); do setpriv --reuid ${uid} --regid ${uid} --clear-groups /bin/true || exit 1; done`);
  if (r.code !== 0) throw new Error(`setpriv as uid ${uid} exited ${r.code}: ${r.stderr.trim().slice(-200)}`);
}
