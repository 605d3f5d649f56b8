import { readFileSync } from 'node:fs';
import type { DriverName, LoadedLab, LoadedStep, LoadedVariant } from '@ebpf-lab/lab-spec';
import type { CheckResult } from '@ebpf-lab/check-sdk';
import { checkSteps, findLab, solveSteps, upLab } from './engine.ts';
import { usageError } from './errors.ts';
import type { LabInstance } from './drivers/types.ts';
import { buildTable, findFlaky, judgeVariant, type SelftestReport, type SelftestRun, type VariantResult } from './selftest-report.ts';

export type { SelftestReport, SelftestRun, StepRow, VariantResult } from './selftest-report.ts';
export { findFlaky, formatTable } from './selftest-report.ts';

export interface SelftestOptions {
  repeat: number;
  driver?: DriverName;
  /** Only run the wrong/alt variants of this step (the reference run always covers every step). */
  step?: string;
  /** false: only fresh → fail and solve → pass (for slow drivers, where every variant is a new VM). */
  variants?: boolean;
  /** How many variant labs run at once (each is its own lab; several at once is also a classroom test). */
  jobs?: number;
  log: (line: string) => void;
}

const since = (t0: number) => Math.round(performance.now() - t0);

type Setup = (message: string) => VariantResult;

/** Inside a fresh lab: solve the earlier steps, run the variant, check its step. */
async function variantInLab(
  inst: LabInstance,
  lab: LoadedLab,
  stepIdx: number,
  kind: 'wrong' | 'alt',
  v: LoadedVariant,
  fresh: CheckResult | undefined,
  setup: Setup,
  done: (o: Omit<VariantResult, 'step' | 'kind' | 'name' | 'about' | 'ms'>) => VariantResult,
): Promise<VariantResult> {
  const step = lab.steps[stepIdx]!;
  for (const prev of lab.steps.slice(0, stepIdx)) {
    try {
      await solveSteps(inst, lab, prev.id);
    } catch (e) {
      return setup(`solve.sh of earlier step "${prev.id}": ${(e as Error).message}`);
    }
  }
  const r = await inst.exec(readFileSync(v.path, 'utf8'), { timeoutMs: Math.max(60, step.timeoutSeconds * 4) * 1000, env: { LAB_STEP: step.id } });
  if (r.code !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-5).join(' | ');
    return setup(`${kind}/${v.name}.sh ${r.timedOut ? 'timed out' : `exited ${r.code}`}: ${tail}`);
  }
  const [c] = await checkSteps(inst, lab, step.id);
  return done({ status: c!.status, message: c!.message, expected: c!.expected, actual: c!.actual, ...judgeVariant(kind, c!, fresh) });
}

/**
 * Each variant gets its own fresh lab with the steps before its own solved by solve.sh, so it
 * models a mistake (or another form) in THAT step only. The script must itself succeed: a wrong
 * solution that crashes half-way models nothing.
 */
async function runVariant(
  lab: LoadedLab,
  stepIdx: number,
  kind: 'wrong' | 'alt',
  v: LoadedVariant,
  driver: DriverName | undefined,
  fresh?: CheckResult,
): Promise<VariantResult> {
  const t0 = performance.now();
  const base = { step: lab.steps[stepIdx]!.id, kind, name: v.name, about: v.about };
  const setup: Setup = (message) => ({ ...base, status: 'setup', message, ok: false, problem: `could not run: ${message}`, ms: since(t0) });
  let inst: LabInstance;
  try {
    ({ inst } = await upLab(lab.spec.id, driver));
  } catch (e) {
    return setup(`lab up: ${(e as Error).message}`);
  }
  let result: VariantResult;
  try {
    result = await variantInLab(inst, lab, stepIdx, kind, v, fresh, setup, (o) => ({ ...base, ...o, ms: since(t0) }));
  } catch (e) {
    result = setup(`${(e as Error).message}`);
  }
  // A lab that does not come down cleanly is a defect of its own, but must not end the whole run.
  try {
    await inst.down();
  } catch (e) {
    result = setup(`lab down: ${(e as Error).message}`);
  }
  return result;
}

async function runOnce(lab: LoadedLab, rep: number, opts: SelftestOptions): Promise<SelftestRun> {
  const labId = lab.spec.id;
  const problems: string[] = [];
  let before: CheckResult[] = [];
  let after: CheckResult[] = [];
  const t0 = performance.now();
  let upMs = 0;
  let upFailed = false;
  try {
    const { inst } = await upLab(labId, opts.driver);
    upMs = since(t0);
    try {
      before = await checkSteps(inst, lab);
      for (const r of before) if (r.status !== 'fail') problems.push(`fresh lab: step "${r.step}" is ${r.status}, expected fail (${r.message})`);
      try {
        await solveSteps(inst, lab);
      } catch (e) {
        problems.push(`solve: ${(e as Error).message}`);
      }
      after = await checkSteps(inst, lab);
      for (const r of after) if (r.status !== 'pass') problems.push(`after solve: step "${r.step}" is ${r.status}, expected pass (${r.message})`);
    } finally {
      try {
        await inst.down();
      } catch (e) {
        problems.push(`lab down: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    problems.push(`lab: ${(e as Error).message}`);
    upFailed = true;
  }
  opts.log(
    `${problems.length ? 'FAIL' : 'ok  '} ${labId} #${rep} reference  up ${upMs} ms  fresh: ${summary(before)}  solved: ${summary(after)}${problems.map((p) => `\n       - ${p}`).join('')}`,
  );

  const tasks: (() => Promise<VariantResult>)[] = [];
  for (const [i, step] of lab.steps.entries()) {
    // A lab that cannot start here (no docker for kind…) would fail every variant the same way.
    if (upFailed || opts.variants === false || (opts.step && step.id !== opts.step)) continue;
    const fresh = before.find((r) => r.step === step.id);
    for (const kind of ['wrong', 'alt'] as const) {
      for (const v of step[kind]) {
        tasks.push(async () => {
          const res = await runVariant(lab, i, kind, v, opts.driver, fresh);
          opts.log(
            `${res.ok ? 'ok  ' : 'FAIL'} ${labId} #${rep} ${step.id} ${kind}/${v.name} → ${res.status} (${res.ms} ms)${res.ok ? '' : `\n       - ${res.problem}`}`,
          );
          return res;
        });
      }
    }
  }
  const variants = await pool(tasks, opts.jobs ?? 1);
  for (const v of variants) if (!v.ok) problems.push(`${v.step} ${v.kind}/${v.name} (${v.about}): ${v.problem}`);
  return { lab: labId, repetition: rep, ok: problems.length === 0, upMs, ms: since(t0), before, after, variants, problems };
}

/**
 * For each lab, N times: a fresh instance → every check must be `fail` → solve every step →
 * every check must be `pass`; then every steps/<id>/wrong/*.sh must be caught (`fail`, with a
 * specific verdict) and every steps/<id>/alt/*.sh accepted, each on its own fresh lab. Any miss,
 * wrong rejection or status that changes between repetitions fails the run.
 */
export async function selftest(labIds: string[], opts: SelftestOptions): Promise<SelftestReport> {
  const t0 = performance.now();
  const runs: SelftestRun[] = [];
  const steps = new Map<string, { step: string; wrong: number; alt: number }[]>();
  for (const labId of labIds) {
    let lab: LoadedLab;
    try {
      lab = findLab(labId);
    } catch (e) {
      runs.push({ lab: labId, repetition: 1, ok: false, upMs: 0, ms: 0, before: [], after: [], variants: [], problems: [(e as Error).message] });
      opts.log(`FAIL ${labId}: ${(e as Error).message}`);
      continue;
    }
    if (opts.step && !lab.steps.some((s) => s.id === opts.step))
      throw usageError(`lab "${labId}" has no step "${opts.step}"`, `steps: ${lab.steps.map((s) => s.id).join(', ')}`);
    steps.set(
      labId,
      lab.steps.filter((s: LoadedStep) => !opts.step || s.id === opts.step).map((s) => ({ step: s.id, wrong: s.wrong.length, alt: s.alt.length })),
    );
    for (let rep = 1; rep <= opts.repeat; rep++) runs.push(await runOnce(lab, rep, opts));
  }
  const flaky = findFlaky(runs);
  for (const f of flaky) opts.log(`FLAKY ${f}: its status changed between repetitions`);
  return { ok: runs.every((r) => r.ok) && flaky.length === 0, ms: since(t0), runs, table: buildTable(runs, steps), flaky };
}

/** Runs tasks with at most `n` at once; results keep the tasks' order. */
async function pool<T>(tasks: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, tasks.length)) }, worker));
  return out;
}

function summary(rs: CheckResult[]): string {
  return rs.map((r) => `${r.step}=${r.status}`).join(' ') || '-';
}
