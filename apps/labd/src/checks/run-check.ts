import { readFileSync } from 'node:fs';
import type { LoadedLab, LoadedStep } from '@ebpf-lab/lab-spec';
import type { CheckOutcome, CheckResult } from '@ebpf-lab/check-sdk';
import type { LabInstance } from '../drivers/types.ts';
import { runTsCheck } from './ts-check.ts';

/** check.sh: exit 0 pass, 1 fail, anything else error. Last stdout line is the message, or a JSON outcome. */
export function interpretShellCheck(code: number, stdout: string, stderr: string, timedOut: boolean, timeoutS: number): CheckOutcome {
  if (timedOut) return { status: 'error', message: `the check did not finish within ${timeoutS}s; this is a problem with the check or the lab, not your work` };
  const last = stdout.trim().split('\n').pop()?.trim() ?? '';
  let outcome: Partial<CheckOutcome> = { message: last };
  if (last.startsWith('{')) {
    try {
      const j = JSON.parse(last) as Partial<CheckOutcome>;
      outcome = { message: String(j.message ?? ''), expected: j.expected, actual: j.actual };
    } catch {
      /* plain text that happens to start with a brace */
    }
  }
  if (code === 0) return { status: 'pass', message: outcome.message || 'passed', expected: outcome.expected, actual: outcome.actual };
  if (code === 1) return { status: 'fail', message: outcome.message || 'not done yet', expected: outcome.expected, actual: outcome.actual };
  const detail = (stderr.trim().split('\n').pop() ?? '') || outcome.message || '';
  return { status: 'error', message: `the check itself failed (exit ${code})${detail ? `: ${detail}` : ''}; this is not your fault` };
}

/**
 * Runs one step's check with its timeout. Whatever goes wrong inside the check (crash, hang,
 * missing tool, malformed result) comes back as `error`, never as the learner's `fail`. A check.ts
 * runs in a child process (checks/ts-check.ts), so not even a check that never yields can stall labd.
 */
export async function runCheck(inst: LabInstance, lab: LoadedLab, step: LoadedStep, mode: 'live' | 'grade' = 'live'): Promise<CheckResult> {
  const started = performance.now();
  const timeoutMs = step.timeoutSeconds * 1000 * (inst.timeScale ?? 1);
  const done = (o: CheckOutcome): CheckResult => ({ lab: lab.spec.id, step: step.id, ...o, ms: Math.round(performance.now() - started) });
  if (step.check.kind === 'sh') {
    const r = await inst.exec(readFileSync(step.check.path, 'utf8'), { timeoutMs, env: { LAB_STEP: step.id, LAB_CHECK_MODE: mode } });
    return done(interpretShellCheck(r.code, r.stdout, r.stderr, r.timedOut, step.timeoutSeconds));
  }
  return done(await runTsCheck(inst, { checkPath: step.check.path, labId: lab.spec.id, stepId: step.id, mode, timeoutMs, timeoutS: step.timeoutSeconds }));
}
