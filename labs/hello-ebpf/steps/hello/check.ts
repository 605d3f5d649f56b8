import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { attachedHello, compareSource, dumpMap, execCountOf, newMarker, triggerExecs } from '../../lib/hello-state.ts';

/**
 * Passes when THIS lab runs a program built from the learner's own bpf/hello/hello.bpf.c, as it is
 * now, attached to execve (hello_kprobe, or hello_tp where the kernel has no kprobes), and it does
 * its job: the check starts programs and the program's own exec_count map must count them.
 * "Built from your source" is read from the kernel: the BTF line info it keeps with the program
 * names the source file and holds the text of each line, which must match the file in the lab.
 */
export default async function check(ctx: CheckContext) {
  const { loaded, attached } = await attachedHello(ctx);
  const expected =
    'hello_kprobe attached to execve (or hello_tp on sys_enter_execve where kprobes are missing), built from your bpf/hello/hello.bpf.c, counting execs';
  if (!attached.length) {
    const built = (await ctx.exec('test -x bpf/.output/hello')).code === 0;
    const log = ((await ctx.readFile('hello.log')) ?? '').trim().split('\n').slice(-2).join(' | ');
    const actual = loaded.length
      ? loaded.map((p) => `${p.name} (id ${p.id}) loaded but not attached`).join(', ')
      : `no hello_kprobe or hello_tp program held by this lab; bpf/.output/hello ${built ? 'is built' : 'is not built'}${log ? `; hello.log ends: ${log.slice(0, 160)}` : ''}`;
    const next = built
      ? 'it is built but not running: start it in the background and leave it running: ./bpf/.output/hello > hello.log 2>&1 &'
      : 'build it with make -s -C bpf hello, then start ./bpf/.output/hello > hello.log 2>&1 & in the background';
    return fail(`bpf/hello is not attached in this lab: ${next}`, { expected, actual });
  }
  const { prog, link } = attached[0]!;
  const where = link.fd_type === 'tracepoint' ? `tracepoint syscalls:${link.tracepoint}` : `${link.fd_type} ${link.func ?? ''}`;
  if (prog.name === 'hello_kprobe' && !/execve/.test(link.func ?? '')) {
    return fail(`hello_kprobe is attached to ${where}, not to the execve syscall: keep SEC("ksyscall/execve") in hello.bpf.c, rebuild and restart`, {
      expected,
      actual: `${prog.name} (id ${prog.id}) → ${where}`,
    });
  }
  if (prog.name === 'hello_tp' && link.tracepoint !== 'sys_enter_execve') {
    return fail(
      `hello_tp is attached to ${where}, not to syscalls:sys_enter_execve: keep SEC("tp/syscalls/sys_enter_execve") in hello.bpf.c, rebuild and restart`,
      { expected, actual: `${prog.name} (id ${prog.id}) → ${where}` },
    );
  }

  // Built from THIS lab's current source?
  const source = await ctx.readFile('bpf/hello/hello.bpf.c');
  if (source === null)
    return fail('bpf/hello/hello.bpf.c is missing from the lab: restore it (lab reset) and build again', { expected, actual: 'no bpf/hello/hello.bpf.c' });
  let src;
  try {
    src = await compareSource(ctx, prog.id, source);
  } catch (e) {
    return checkError(`reading the line info of program ${prog.id}: ${(e as Error).message}`);
  }
  // Make passes clang absolute paths; the workdir may be reached through a symlink, so accept either form.
  const dirs = (await ctx.exec('pwd; pwd -P')).stdout.trim().split('\n');
  const mine = `${dirs[0]}/bpf/hello/hello.bpf.c`;
  if (!dirs.some((d) => src.files.includes(`${d}/bpf/hello/hello.bpf.c`))) {
    return fail(
      `the running ${prog.name} was not built from this lab's bpf/hello/hello.bpf.c: rebuild here with make -s -C bpf hello and start ./bpf/.output/hello`,
      { expected: `a program built from ${mine}`, actual: `${prog.name} (id ${prog.id}) built from ${src.files.join(', ') || 'a file without line info'}` },
    );
  }
  if (src.differs) {
    const d = src.differs;
    return fail(
      `the running ${prog.name} was built from an older hello.bpf.c: line ${d.line} is different in your file now. Rebuild (make -s -C bpf hello), stop the old loader, and start ./bpf/.output/hello again`,
      {
        expected: `line ${d.line}: ${d.loaded}`,
        actual: `line ${d.line}: ${d.now || '(empty)'}`,
      },
    );
  }

  // Doing its job? Its own exec_count must count the programs the check starts.
  const map = await execCountOf(ctx, prog);
  if (!map)
    return fail(`${prog.name} is attached but does not use an exec_count map: keep the count_exec(uid) call in handle_exec, rebuild and restart`, {
      expected,
      actual: `${prog.name} (id ${prog.id}) uses maps ${(prog.map_ids ?? []).join(', ') || 'none'}`,
    });
  // Summed over every uid: whichever uid the lab's root is to the kernel, the check's execs count.
  const total = (m: Map<bigint, bigint>) => [...m.values()].reduce((a, b) => a + b, 0n);
  let before, after;
  try {
    before = total(await dumpMap(ctx, map.id));
    await triggerExecs(ctx, newMarker(), 3);
    after = total(await dumpMap(ctx, map.id));
  } catch (e) {
    return checkError(`reading exec_count (map ${map.id}): ${(e as Error).message}`);
  }
  if (after - before < 3n) {
    return fail(
      `${prog.name} is attached, but its exec_count did not count the programs the check started (3 or more): check count_exec in hello.bpf.c, rebuild and restart`,
      { expected: 'the counts grow by ≥ 3', actual: `all uids: ${before} → ${after}` },
    );
  }
  const kprobes = (await ctx.exec('test -e /sys/bus/event_source/devices/kprobe')).code === 0;
  // A kernel with kprobes (a vm lab's) must run the real kprobe: the fallback there means the loader went wrong.
  if (prog.name === 'hello_tp' && kprobes) {
    const reason = /kprobe unavailable: (.*)\)\s*$/m.exec(((await ctx.readFile('hello.log')) ?? '').split('\n')[0] ?? '')?.[1];
    return fail(
      `this kernel has kprobes, but bpf/hello attached the tracepoint fallback (attach type seen: ${where})${reason ? ` — the loader said: ${reason}` : ''}`,
      {
        expected: 'hello_kprobe attached with a kprobe (this kernel has the kprobe PMU)',
        actual: `${prog.name} (id ${prog.id}) → ${where}`,
      },
    );
  }
  const why = prog.name === 'hello_tp' ? '; this kernel has no kprobes, so the loader fell back to the tracepoint' : '';
  return pass(
    `${prog.name}, built from your hello.bpf.c (${src.compared} source lines match), is attached to ${where} (attach type ${link.fd_type}) and counting: exec_count went ${before} → ${after} (all uids) while the check started programs${why}`,
    { actual: `${prog.name} (id ${prog.id}) → ${where}` },
  );
}
