import type { CheckResult, CheckStatus, DriverName } from '@ebpf-lab/lab-spec';
import { checkSteps, solveSteps, upLab } from './engine.ts';

export interface SelftestRun {
  lab: string;
  repetition: number;
  ok: boolean;
  upMs: number;
  before: CheckResult[];
  after: CheckResult[];
  problems: string[];
}

export interface SelftestReport {
  ok: boolean;
  runs: SelftestRun[];
  /** "lab/step" of checks whose status changed between repetitions of the same phase. */
  flaky: string[];
}

/**
 * For each lab, N times: a fresh instance → every check must be `fail` → solve every step →
 * every check must be `pass` → down. A check that passes on a fresh lab cannot fail, which is a
 * defect; a check that flips between repetitions is flaky; both fail the run.
 */
export async function selftest(labIds: string[], repeat: number, driver: DriverName | undefined, log: (line: string) => void): Promise<SelftestReport> {
  const runs: SelftestRun[] = [];
  for (const labId of labIds) {
    for (let rep = 1; rep <= repeat; rep++) {
      const problems: string[] = [];
      let before: CheckResult[] = [];
      let after: CheckResult[] = [];
      const t0 = performance.now();
      let upMs = 0;
      try {
        const { lab, inst } = await upLab(labId, driver);
        upMs = Math.round(performance.now() - t0);
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
          await inst.down();
        }
      } catch (e) {
        problems.push(`lab: ${(e as Error).message}`);
      }
      const run: SelftestRun = { lab: labId, repetition: rep, ok: problems.length === 0, upMs, before, after, problems };
      runs.push(run);
      log(`${run.ok ? 'ok  ' : 'FAIL'} ${labId} #${rep}  up ${upMs} ms  fresh: ${summary(before)}  solved: ${summary(after)}${problems.map((p) => `\n       - ${p}`).join('')}`);
    }
  }
  const flaky = findFlaky(runs);
  for (const f of flaky) log(`FLAKY ${f}: its status changed between repetitions`);
  return { ok: runs.every((r) => r.ok) && flaky.length === 0, runs, flaky };
}

function summary(rs: CheckResult[]): string {
  return rs.map((r) => `${r.step}=${r.status}`).join(' ') || '-';
}

export function findFlaky(runs: Pick<SelftestRun, 'lab' | 'before' | 'after'>[]): string[] {
  const seen = new Map<string, Set<CheckStatus>>();
  for (const r of runs) {
    for (const [phase, rs] of [['fresh', r.before], ['solved', r.after]] as const) {
      for (const c of rs) {
        const key = `${r.lab}/${c.step} (${phase})`;
        seen.set(key, (seen.get(key) ?? new Set()).add(c.status));
      }
    }
  }
  return [...seen].filter(([, s]) => s.size > 1).map(([k]) => k);
}
