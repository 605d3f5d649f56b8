import type { LabInstance } from '../drivers/types.ts';
import { TOOL_NAME, type BuildResult } from '@ebpf-lab/api';
import { parseClangDiagnostics, parseVerifierLog } from './diagnostics.ts';
import { Invalid, NotFound } from '../errors.ts';

export type { BuildResult };
export { TOOL_NAME };
const LOG_LIMIT = 256 * 1024;
const COMPILE_TIMEOUT_MS = 180_000;
const LOAD_TIMEOUT_MS = 60_000;

const tail = (s: string) => (s.length > LOG_LIMIT ? `[… ${s.length - LOG_LIMIT} earlier characters dropped]\n${s.slice(-LOG_LIMIT)}` : s);

/**
 * Builds bpf/<tool> inside the lab with the lab's own Makefile, then loads every program of the
 * object with `bpftool prog loadall` into a throwaway pin dir in the lab's private bpffs and
 * removes the pins again (which unloads them). bpftool loads through libbpf, which prints the
 * verifier log with BTF line info on a rejection; the learner's own loader may not print it at
 * all, and would also attach, which a build must not do.
 */
export async function buildTool(inst: LabInstance, tool: string): Promise<BuildResult> {
  if (!TOOL_NAME.test(tool)) throw new Invalid('tool', `"${tool}" is not a tool name`, 'a tool is a folder bpf/<tool>/ holding <tool>.bpf.c, e.g. "hello"');
  // The workdir as the lab sees it (pwd -P, as make's $(abspath) does): clang prints paths under it.
  const compile = await inst.exec(
    [
      'echo "@@root $(pwd -P)"',
      `if [ ! -f bpf/${tool}/${tool}.bpf.c ]; then echo "@@missing"; exit 0; fi`,
      `echo "@@files $(cd bpf/${tool} && ls | tr '\\n' ' ')"`,
      `make -C bpf ${tool} 2>&1; echo "@@exit $?"`,
    ].join('\n'),
    { timeoutMs: COMPILE_TIMEOUT_MS },
  );
  const out = compile.stdout;
  if (out.includes('@@missing\n')) throw new NotFound(`there is no bpf/${tool}/${tool}.bpf.c in the lab`, 'tools are folders under bpf/ in the lab workdir');
  const root = /^@@root (.*)$/m.exec(out)?.[1] ?? inst.state.workdir;
  const files = new Set((/^@@files (.*)$/m.exec(out)?.[1] ?? '').split(' ').filter(Boolean));
  const exit = Number(/^@@exit (\d+)$/m.exec(out)?.[1] ?? (compile.timedOut ? 124 : 1));
  const makeLog = out.replace(/^@@.*\n?/gm, '') + compile.stderr;
  const clang = parseClangDiagnostics(makeLog, root);
  if (exit !== 0 || compile.code !== 0) {
    const why = compile.timedOut ? `\nthe build did not finish within ${COMPILE_TIMEOUT_MS / 1000}s` : '';
    return { ok: false, stage: 'compile', log: tail(makeLog + why), diagnostics: clang };
  }

  const load = await inst.exec(
    [
      // bpffs refuses names with a dot.
      'd=$(mktemp -d /sys/fs/bpf/labd-build-XXXXXX) || exit 125',
      `bpftool prog loadall bpf/.output/${tool}.bpf.o "$d" 2>&1; rc=$?`,
      'rm -rf "$d"',
      'exit $rc',
    ].join('\n'),
    { timeoutMs: LOAD_TIMEOUT_MS },
  );
  const loadLog = load.stdout + load.stderr + (load.timedOut ? `\nloading did not finish within ${LOAD_TIMEOUT_MS / 1000}s` : '');
  const log = tail(`${makeLog}\n$ bpftool prog loadall bpf/.output/${tool}.bpf.o\n${loadLog}`);
  if (load.code !== 0) {
    const sourceFor = (f: string) => (f.includes('/') ? f : files.has(f) ? `bpf/${tool}/${f}` : f);
    return { ok: false, stage: 'load', log, diagnostics: [...clang, ...parseVerifierLog(loadLog, sourceFor)] };
  }
  return { ok: true, stage: 'done', log, diagnostics: clang };
}
