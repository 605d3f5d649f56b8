import { fail, labPerfLinks, labProgs, pass, type CheckContext } from '@ebpf-lab/lab-spec';

/**
 * Passes when this lab runs bpf/hello's kprobe program, or its tracepoint program where the kernel
 * has no kprobes (the loader's fallback), attached to execve.
 */
export default async function check(ctx: CheckContext) {
  const [progs, links] = await Promise.all([labProgs(ctx), labPerfLinks(ctx)]);
  const hello = progs.filter((p) => p.name === 'hello_kprobe' || p.name === 'hello_tp');
  const attached = hello.map((p) => ({ p, link: links.find((l) => l.prog_id === p.id) })).filter((x) => x.link);
  const actual = hello.length
    ? hello.map((p) => `${p.name} (id ${p.id}) ${attached.some((a) => a.p.id === p.id) ? 'attached' : 'loaded but not attached'}`).join(', ')
    : 'no hello_kprobe or hello_tp program loaded by this lab';
  const kprobe = attached.find((a) => a.p.name === 'hello_kprobe');
  if (kprobe) return pass(`hello_kprobe is attached to ${kprobe.link!.func ?? 'the execve syscall'} with a kprobe`, { actual });
  const tp = attached.find((a) => a.p.name === 'hello_tp' && a.link!.tracepoint === 'sys_enter_execve');
  if (tp) {
    const kprobes = (await ctx.exec('test -e /sys/bus/event_source/devices/kprobe')).code === 0;
    const log = (await ctx.readFile('hello.log')) ?? '';
    const reason = /kprobe unavailable: (.*)\)\s*$/m.exec(log.split("\n")[0] ?? "")?.[1];
    // A kernel with kprobes (a VM lab) must run the real kprobe: the fallback there means the loader is broken.
    if (kprobes) {
      return fail(`this kernel has kprobes, but bpf/hello attached the tracepoint fallback (attach type seen: tracepoint)${reason ? ` — loader said: ${reason}` : ''}`, {
        expected: 'hello_kprobe attached with a kprobe (this kernel has the kprobe PMU)', actual,
      });
    }
    return pass(`hello_tp is attached to tracepoint syscalls:sys_enter_execve; this kernel has no kprobes (no kprobe PMU in /sys/bus/event_source/devices), so the loader fell back to the tracepoint${reason ? ` — loader said: ${reason}` : ''}`, { actual });
  }
  return fail('bpf/hello is not running in this lab yet: build it with make -C bpf hello and start ./bpf/.output/hello', {
    expected: 'hello_kprobe attached to execve (or hello_tp on sys_enter_execve where kprobes are missing)', actual,
  });
}
