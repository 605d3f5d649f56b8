import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { CheckContext, CheckFunction, CheckOutcome, CheckResult, LoadedLab, LoadedStep } from '@ebpf-lab/lab-spec';
import type { LabInstance } from '../drivers/types.ts';
import { ensureTsLoader } from '../ts-loader.ts';

const STATUSES = new Set(['pass', 'fail', 'error']);

/** check.sh: exit 0 pass, 1 fail, anything else error. Last stdout line is the message, or a JSON outcome. */
export function interpretShellCheck(code: number, stdout: string, stderr: string, timedOut: boolean, timeoutS: number): CheckOutcome {
  if (timedOut) return { status: 'error', message: `the check did not finish within ${timeoutS}s; this is a problem with the check or the lab, not your work` };
  const last = stdout.trim().split('\n').pop()?.trim() ?? '';
  let outcome: Partial<CheckOutcome> = { message: last };
  if (last.startsWith('{')) {
    try {
      const j = JSON.parse(last) as Partial<CheckOutcome>;
      outcome = { message: String(j.message ?? ''), expected: j.expected, actual: j.actual };
    } catch { /* plain text that happens to start with a brace */ }
  }
  if (code === 0) return { status: 'pass', message: outcome.message || 'passed', expected: outcome.expected, actual: outcome.actual };
  if (code === 1) return { status: 'fail', message: outcome.message || 'not done yet', expected: outcome.expected, actual: outcome.actual };
  const detail = (stderr.trim().split('\n').pop() ?? '') || outcome.message || '';
  return { status: 'error', message: `the check itself failed (exit ${code})${detail ? `: ${detail}` : ''}; this is not your fault` };
}

function validOutcome(x: unknown): x is CheckOutcome {
  return !!x && typeof x === 'object' && STATUSES.has((x as CheckOutcome).status) && typeof (x as CheckOutcome).message === 'string';
}

function contextFor(inst: LabInstance, lab: LoadedLab, step: LoadedStep, signal: AbortSignal, deadline: number, mode: 'live' | 'grade'): CheckContext {
  // A check's own per-command limits are in host time too: a slow guest stretches them like the step's.
  const scale = inst.timeScale ?? 1;
  const remaining = (t?: number) => Math.max(1, Math.min(t === undefined ? Infinity : t * scale, deadline - Date.now()));
  return {
    labId: lab.spec.id, instanceId: inst.state.id, stepId: step.id, signal, mode, timeScale: scale,
    exec: (cmd, o) => inst.exec(cmd, { node: o?.node, timeoutMs: remaining(o?.timeoutMs), signal }),
    async json<T>(cmd: string, o?: { node?: string; timeoutMs?: number }): Promise<T> {
      const r = await inst.exec(cmd, { node: o?.node, timeoutMs: remaining(o?.timeoutMs), signal });
      if (r.code !== 0) throw new Error(`\`${cmd}\` exited ${r.code}: ${r.stderr.trim().slice(-300)}`);
      try { return JSON.parse(r.stdout) as T; } catch { throw new Error(`\`${cmd}\` did not print JSON: ${r.stdout.slice(0, 200)}`); }
    },
    async readFile(path) {
      try { return (await inst.readFile(path)).toString('utf8'); } catch { return null; }
    },
    labPids: () => inst.pids(),
  };
}

/**
 * Runs one step's check with its timeout. Whatever goes wrong inside the check (crash, hang,
 * missing tool, malformed result) comes back as `error`, never as the learner's `fail`.
 */
export async function runCheck(inst: LabInstance, lab: LoadedLab, step: LoadedStep, mode: 'live' | 'grade' = 'live'): Promise<CheckResult> {
  const started = performance.now();
  const timeoutMs = step.timeoutSeconds * 1000 * (inst.timeScale ?? 1);
  const done = (o: CheckOutcome): CheckResult => ({ lab: lab.spec.id, step: step.id, ...o, ms: Math.round(performance.now() - started) });
  if (step.check.kind === 'sh') {
    const r = await inst.exec(readFileSync(step.check.path, 'utf8'), { timeoutMs, env: { LAB_STEP: step.id, LAB_CHECK_MODE: mode } });
    return done(interpretShellCheck(r.code, r.stdout, r.stderr, r.timedOut, step.timeoutSeconds));
  }
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    await ensureTsLoader();
    const mod = (await import(pathToFileURL(step.check.path).href)) as { default?: CheckFunction };
    if (typeof mod.default !== 'function') return done({ status: 'error', message: `${step.check.path} has no default export function` });
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => { abort.abort(); reject(new Error('timeout')); }, timeoutMs); });
    const outcome = await Promise.race([mod.default(contextFor(inst, lab, step, abort.signal, Date.now() + timeoutMs, mode)), timeout]);
    if (!validOutcome(outcome)) return done({ status: 'error', message: `${step.check.path} returned something that is not {status, message}` });
    return done(outcome);
  } catch (e) {
    const msg = (e as Error).message === 'timeout' ? `the check did not finish within ${step.timeoutSeconds}s` : `the check crashed: ${(e as Error).message}`;
    return done({ status: 'error', message: `${msg}; this is a problem with the check or the lab, not your work` });
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
