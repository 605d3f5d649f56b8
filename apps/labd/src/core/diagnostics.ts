import type { Diagnostic } from '@ebpf-lab/api';

export type { Diagnostic };

/**
 * Turns a path clang printed into one the editor opens: relative to the lab workdir when it is
 * inside it (`labRoot` is the workdir as seen inside the lab), else unchanged (a system header).
 */
export function workdirPath(file: string, labRoot: string, makeDir = 'bpf'): string {
  const root = labRoot.replace(/\/+$/, '');
  if (file.startsWith(`${root}/`)) return file.slice(root.length + 1);
  if (!file.startsWith('/')) return `${makeDir}/${file.replace(/^\.\//, '')}`;
  return file;
}

/** `file:line:col: error|warning|note: message` lines of clang (and gcc) output. */
export function parseClangDiagnostics(log: string, labRoot: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const re = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;
  for (const line of log.split('\n')) {
    const m = re.exec(line.trimEnd());
    if (!m) continue;
    const sev = m[4] === 'note' ? 'info' : m[4] === 'warning' ? 'warning' : 'error';
    out.push({ file: workdirPath(m[1]!, labRoot), line: Number(m[2]), column: Number(m[3]), severity: sev, message: m[5]! });
  }
  return out;
}

const INSN = /^\d+: \([0-9a-f]{2}\)/;
const LINE_INFO = /^; (.*) @ ([^\s:]+):(\d+)$/;
/** Verifier statistics and state dumps that follow or surround the error, never the error itself. */
const NOISE = /^(processed \d+ insns|verification time|stack depth|mark_precise|\d+: R\d|\d+: frame\d|from \d+ to \d+:|last_idx|regs=|parent )/;

/**
 * Maps a failed load to the source line the verifier rejected. libbpf prints the verifier log
 * between `-- BEGIN PROG LOAD LOG --` and `-- END PROG LOAD LOG --`; with BTF line info every
 * run of instructions is preceded by `; <source> @ file.c:LINE`. The failing instruction is the
 * last one in the log, the message is what follows it, and its line is the last line-info
 * comment before it. `sourceFor` turns the log's bare file name into a workdir path.
 */
export function parseVerifierLog(log: string, sourceFor: (file: string) => string): Diagnostic[] {
  const lines = log.split('\n');
  const begin = lines.findIndex((l) => l.includes('-- BEGIN PROG LOAD LOG --'));
  if (begin < 0) return [];
  const prog = /prog '([^']+)'/.exec(lines[begin]!)?.[1];
  let end = lines.findIndex((l, i) => i > begin && l.includes('-- END PROG LOAD LOG --'));
  if (end < 0) end = lines.length;
  const body = lines.slice(begin + 1, end).map((l) => l.trimEnd());
  let lastInsn = -1;
  for (let i = body.length - 1; i >= 0; i--)
    if (INSN.test(body[i]!)) {
      lastInsn = i;
      break;
    }
  const after = body.slice(lastInsn + 1).filter((l) => l.trim() && !NOISE.test(l) && !LINE_INFO.test(l));
  const message = after.join('; ') || body.filter((l) => l.trim() && !NOISE.test(l)).at(-1) || 'the verifier rejected the program';
  let info: RegExpExecArray | null = null;
  for (let i = lastInsn; i >= 0 && !info; i--) info = LINE_INFO.exec(body[i]!);
  const insn = lastInsn >= 0 ? body[lastInsn]!.replace(/\s+;.*$/, '') : '';
  const detail = `verifier${prog ? ` (program ${prog})` : ''}: ${message}${insn ? ` [insn ${insn}]` : ''}`;
  // Without line info (an object built without -g) there is no line to point at; the log says why.
  if (!info) return [];
  // The verifier reports lines, not columns: column 1 marks the whole line.
  return [{ file: sourceFor(info[2]!), line: Number(info[3]), column: 1, severity: 'error', message: detail }];
}
