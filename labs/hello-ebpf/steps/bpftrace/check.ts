import { fail, labPerfLinks, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { newMarker, stdoutOf, stdoutSize, triggerExecs, waitForOutput } from '../../lib/hello-state.ts';

/**
 * Passes when a bpftrace process of THIS lab holds a program on the syscalls:sys_enter_execve
 * tracepoint (the kernel's own record, `bpftool perf show`) and that program does its job: the check
 * starts programs whose path and comm carry a fresh marker, and the marker must show up in what
 * that bpftrace prints. A log file on its own proves nothing: only a live bpftrace counts.
 */
export default async function check(ctx: CheckContext) {
  const links = await labPerfLinks(ctx);
  const comms = new Map<number, string>();
  for (const l of links) comms.set(l.pid, (await ctx.exec(`cat /proc/${l.pid}/comm`)).stdout.trim());
  const bt = links.filter((l) => comms.get(l.pid) === 'bpftrace');
  const actual = links.length
    ? links.map((l) => `${comms.get(l.pid)}(${l.pid}) → ${l.fd_type} ${l.tracepoint ?? l.func ?? ''}`).join(', ')
    : 'no tracepoint or kprobe attachments held by this lab';
  const expected = 'a running bpftrace attached to tracepoint syscalls:sys_enter_execve';
  const hit = bt.find((l) => l.fd_type === 'tracepoint' && l.tracepoint === 'sys_enter_execve');
  if (!hit) {
    if (bt.length) {
      return fail(
        `your bpftrace is attached to ${bt.map((l) => `${l.fd_type} ${l.tracepoint ?? l.func ?? '?'}`).join(', ')}, not to the tracepoint sys_enter_execve: fix the probe line of your script (bpftrace -l 'tracepoint:syscalls:*execve*' lists the names) and start it again`,
        { expected, actual },
      );
    }
    const log = await ctx.readFile('trace-execve.log');
    if (log && log.trim()) {
      return fail(
        'trace-execve.log has lines, but no bpftrace of this lab is running now: the step is a live bpftrace, not its log. Start it again in the background (…&) and leave it running',
        { expected, actual: `${actual}; trace-execve.log: ${log.trim().split('\n').length} line(s), last: ${log.trim().split('\n').pop()!.slice(0, 100)}` },
      );
    }
    return fail(
      'no bpftrace of yours is attached to the execve tracepoint yet: write trace-execve.bt and start it in the background (bpftrace trace-execve.bt > trace-execve.log 2>&1 &)',
      { expected, actual },
    );
  }

  // It is attached; is it doing its job? Fire execs with a marker and look for it in its output.
  const out = await stdoutOf(ctx, hit.pid);
  if (!out.file) {
    return pass(
      `bpftrace (pid ${hit.pid}) is attached to tracepoint syscalls:sys_enter_execve (its output goes to ${out.target || 'nowhere'}, which the check cannot read, so only the attachment was checked)`,
      { actual },
    );
  }
  const marker = newMarker();
  const offset = await stdoutSize(ctx, hit.pid);
  await triggerExecs(ctx, marker);
  const seen = await waitForOutput(ctx, hit.pid, offset, marker);
  if (!seen.found) {
    return fail(
      `your bpftrace (pid ${hit.pid}) is attached to sys_enter_execve, but printed nothing about the programs the check just started (their path and comm contain "${marker}"): print each exec as it happens, e.g. printf("%s %s\\n", comm, str(args->filename))`,
      {
        expected: `a line mentioning ${marker} in ${out.target}`,
        actual: `${actual}; its output since: ${seen.text.trim().split('\n').slice(-3).join(' | ').slice(0, 200) || 'nothing'}`,
      },
    );
  }
  const line = seen.text
    .split('\n')
    .find((l) => l.includes(marker))!
    .trim();
  return pass(`bpftrace (pid ${hit.pid}) is attached to tracepoint syscalls:sys_enter_execve and saw the check's programs start: "${line.slice(0, 120)}"`, {
    actual,
  });
}
