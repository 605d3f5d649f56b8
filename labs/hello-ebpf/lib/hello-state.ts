// Live kernel state of one hello-ebpf lab, as its checks observe it. Everything BPF is global to the
// kernel, and every hello lab on a host loads maps and programs with the same names, so these
// helpers only ever look at objects held by THIS lab's processes (ctx.labPids()).
import { bpftoolNumber, labPerfLinks, labProgs, type BpfProg, type CheckContext, type PerfLink } from '@ebpf-lab/check-sdk';

export interface LiveProg extends BpfProg {
  tag?: string;
  loaded_at?: number;
  btf_id?: number;
}
export interface Attached {
  prog: LiveProg;
  link: PerfLink;
}

/** bpf/hello's programs that this lab holds and has attached (perf link), newest first. */
export async function attachedHello(ctx: CheckContext): Promise<{ loaded: LiveProg[]; attached: Attached[]; links: PerfLink[] }> {
  const [progs, links] = await Promise.all([labProgs(ctx) as Promise<LiveProg[]>, labPerfLinks(ctx)]);
  const loaded = progs.filter((p) => p.name === 'hello_kprobe' || p.name === 'hello_tp');
  const attached = loaded.flatMap((prog) => links.filter((l) => l.prog_id === prog.id).map((link) => ({ prog, link })));
  attached.sort((a, b) => b.prog.id - a.prog.id);
  return { loaded, attached, links };
}

/** The exec_count map a program uses, by id (the map must be the program's own, not one named alike). */
export async function execCountOf(ctx: CheckContext, prog: LiveProg): Promise<{ id: number; key_size?: number; value_size?: number } | undefined> {
  const maps = await ctx.json<{ id: number; name?: string; bytes_key?: number; bytes_value?: number }[]>('bpftool -j map show');
  const m = maps.find((x) => x.name === 'exec_count' && (prog.map_ids ?? []).includes(x.id));
  return m && { id: m.id, key_size: m.bytes_key, value_size: m.bytes_value };
}

/** uid → count of one map, read live by id. */
export async function dumpMap(ctx: CheckContext, id: number): Promise<Map<bigint, bigint>> {
  const rows = await ctx.json<{ key: unknown; value: unknown; formatted?: { key: unknown; value: unknown } }[]>(`bpftool -j map dump id ${id}`);
  const out = new Map<bigint, bigint>();
  for (const r of rows) {
    const k = bpftoolNumber(r.key) ?? bpftoolNumber(r.formatted?.key);
    const v = bpftoolNumber(r.value) ?? bpftoolNumber(r.formatted?.value);
    if (k !== null && v !== null) out.set(k, v);
  }
  return out;
}

/**
 * Starts `n` programs from inside the lab whose path and comm carry `marker`: a symlink to sh named
 * after the marker runs /bin/true, so an exec tracer that prints the filename OR the comm (at
 * sys_enter_execve the comm is still the caller's) shows the marker, and any exec counter grows.
 */
export async function triggerExecs(ctx: CheckContext, marker: string, n = 3): Promise<void> {
  const link = `.lab/${marker}`;
  const r = await ctx.exec(`ln -sf "$(command -v sh)" ${link} && for i in $(seq ${n}); do ./${link} -c '/bin/true; /bin/true'; done; rm -f ${link}`);
  if (r.code !== 0) throw new Error(`starting probe programs failed: ${r.stderr.trim()}`);
}

export const newMarker = () => `xk${Math.random().toString(36).slice(2, 10)}`;

/** Where a process's stdout goes (`/proc/<pid>/fd/1`), and whether it is a file the check can read. */
export async function stdoutOf(ctx: CheckContext, pid: number): Promise<{ target: string; file: boolean }> {
  const r = await ctx.exec(`readlink /proc/${pid}/fd/1; test -f /proc/${pid}/fd/1 && echo FILE`);
  const [target = '', kind] = r.stdout.trim().split('\n');
  return { target, file: kind === 'FILE' };
}

/** Bytes a process has written to its stdout file so far, read through /proc (works even if renamed). */
export async function stdoutSize(ctx: CheckContext, pid: number): Promise<number> {
  const r = await ctx.exec(`stat -L -c %s /proc/${pid}/fd/1`);
  return Number(r.stdout.trim()) || 0;
}

/** Polls a process's stdout from `offset` until `marker` shows up (or `ms` pass); returns what it printed. */
export async function waitForOutput(ctx: CheckContext, pid: number, offset: number, marker: string, ms = 4000): Promise<{ found: boolean; text: string }> {
  const until = Date.now() + ms;
  for (;;) {
    const text = (await ctx.exec(`tail -c +${offset + 1} /proc/${pid}/fd/1 | head -c 200000`)).stdout;
    if (text.includes(marker)) return { found: true, text };
    if (Date.now() >= until) return { found: false, text };
    await new Promise((res) => setTimeout(res, 200));
  }
}

const squash = (t: string) => t.replace(/[\s\\]/g, '');

export interface SourceLine {
  line: number;
  loaded: string;
  file: string;
}

/**
 * Compares the source lines the kernel keeps with a program (BTF line info, `bpftool prog dump
 * xlated linum`) with the learner's hello.bpf.c as it is now. Returns the first line that differs,
 * the file the program was built from, and how many lines were compared.
 */
export async function compareSource(
  ctx: CheckContext,
  progId: number,
  source: string,
): Promise<{ files: string[]; compared: number; differs?: SourceLine & { now: string } }> {
  type Insn = { src?: string; file?: string; line_num?: number };
  // By id bpftool prints the instructions themselves; by name, one {insns} object per program.
  const dump = await ctx.json<(Insn & { insns?: Insn[] })[]>(`bpftool -j prog dump xlated id ${progId} linum`);
  const insns = dump.flatMap((x) => x.insns ?? [x]);
  const lines = source.split('\n');
  const files = new Set<string>();
  let compared = 0;
  for (const i of insns) {
    if (!i.file || !i.line_num || i.src === undefined) continue;
    files.add(i.file);
    if (!i.file.endsWith('hello.bpf.c')) continue;
    const now = (lines[i.line_num - 1] ?? '').trim();
    compared++;
    // bpftool's JSON mangles backslash escapes in source text ('\\0' comes out as a newline and 0),
    // so compare without whitespace and backslashes.
    if (squash(now) !== squash(i.src)) return { files: [...files], compared, differs: { line: i.line_num, loaded: i.src.trim(), file: i.file, now } };
  }
  return { files: [...files], compared };
}
