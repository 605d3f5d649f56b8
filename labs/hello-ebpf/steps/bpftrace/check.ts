import { fail, labPerfLinks, pass, type CheckContext } from '@ebpf-lab/lab-spec';

/** Passes when a bpftrace process of this lab holds a program on syscalls:sys_enter_execve. */
export default async function check(ctx: CheckContext) {
  const links = await labPerfLinks(ctx);
  const comms = new Map<number, string>();
  for (const l of links) {
    const r = await ctx.exec(`cat /proc/${l.pid}/comm`);
    comms.set(l.pid, r.stdout.trim());
  }
  const hit = links.find((l) => l.fd_type === 'tracepoint' && l.tracepoint === 'sys_enter_execve' && comms.get(l.pid) === 'bpftrace');
  const actual = links.length ? links.map((l) => `${comms.get(l.pid)}(${l.pid}) → ${l.fd_type} ${l.tracepoint ?? l.func ?? ''}`).join(', ') : 'no tracepoint or kprobe attachments in this lab';
  if (hit) return pass(`bpftrace (pid ${hit.pid}) is attached to tracepoint syscalls:sys_enter_execve`, { actual });
  return fail('no bpftrace program of yours is attached to the execve tracepoint yet: write trace-execve.bt and start it in the background', {
    expected: 'bpftrace → tracepoint sys_enter_execve', actual,
  });
}
