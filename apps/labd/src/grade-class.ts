import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DriverName, LoadedLab } from '@ebpf-lab/lab-spec';
import { toCsv } from './classes/csv.ts';
import { getDriver } from './drivers/registry.ts';
import { findLab } from './engine.ts';
import { usageError } from './errors.ts';
import { grade } from './grade.ts';

export interface EvidenceRow {
  learner: string;
  step: string;
  status: 'pass' | 'fail' | 'error';
  message: string;
  expected: string | null;
  actual: string | null;
  ms: number;
  /** What the step's grade.sh said when it could not rebuild the learner's work (a compile error, say). */
  gradeScript: string | null;
}
export interface ClassGrade {
  lab: string;
  submissions: string;
  gradedAt: string;
  rows: EvidenceRow[];
  learners: { learner: string; score: number; max: number }[];
}

export const EVIDENCE_COLUMNS = ['learner', 'step', 'status', 'message', 'expected', 'actual', 'ms', 'grade_script'];

/** The learners of a submissions folder: one subfolder each (hidden ones skipped), in name order. */
export function submissionFolders(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw usageError(`submissions "${dir}" is not a folder`, 'pass a folder with one subfolder per learner');
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (!names.length) throw usageError(`submissions "${dir}" has no learner subfolders`, "put each learner's lab files in a subfolder named after them");
  return names;
}

/**
 * Submissions are untrusted code: without an explicit --driver they are graded in VMs (a kernel
 * of their own per learner) when the lab runs on the vm driver and it works here; else on the
 * lab's first driver.
 */
export function pickGradingDriver(lab: LoadedLab, vmUsable: boolean): DriverName {
  return vmUsable && lab.spec.drivers.includes('vm') ? 'vm' : lab.spec.drivers[0]!;
}

async function vmUsable(lab: LoadedLab): Promise<boolean> {
  if (!lab.spec.drivers.includes('vm')) return false;
  const vm = await getDriver('vm');
  return (vm.supports?.(lab).ok ?? true) && (await vm.preflight()).ok;
}

/**
 * Grades every learner's submission with grade.ts (a fresh lab each, their files, grade.sh,
 * every check), `jobs` at a time. A learner whose grading itself broke (the lab would not come
 * up) gets an `error` row per step, never a `fail`: it is not their fault.
 */
export async function gradeSubmissions(
  labId: string,
  dir: string,
  opts: { driver?: DriverName; jobs?: number; onLearner?: (learner: string, score: string) => void; onDriver?: (d: DriverName) => void } = {},
): Promise<ClassGrade> {
  const lab = findLab(labId);
  const driver = opts.driver ?? pickGradingDriver(lab, await vmUsable(lab));
  opts.onDriver?.(driver);
  const learners = submissionFolders(dir);
  const results = new Map<string, { rows: EvidenceRow[]; score: number; max: number }>();
  const queue = [...learners];
  const worker = async () => {
    for (let learner = queue.shift(); learner; learner = queue.shift()) {
      let rows: EvidenceRow[];
      try {
        const rep = await grade(labId, join(dir, learner), driver);
        rows = rep.results.map((r) => ({
          learner,
          step: r.step,
          status: r.status,
          message: r.message,
          expected: r.expected ?? null,
          actual: r.actual ?? null,
          ms: r.ms,
          gradeScript: r.gradeScript && r.gradeScript !== 'ran' ? r.gradeScript : null,
        }));
      } catch (e) {
        const message = `grading could not run: ${(e as Error).message.split('\n')[0]}`;
        rows = lab.steps.map((s) => ({ learner, step: s.id, status: 'error' as const, message, expected: null, actual: null, ms: 0, gradeScript: null }));
      }
      const score = rows.filter((r) => r.status === 'pass').length;
      results.set(learner, { rows, score, max: rows.length });
      opts.onLearner?.(learner, `${score}/${rows.length}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs ?? 1, learners.length)) }, worker));
  return {
    lab: labId,
    submissions: resolve(dir),
    gradedAt: new Date().toISOString(),
    rows: learners.flatMap((l) => results.get(l)!.rows),
    learners: learners.map((l) => ({ learner: l, score: results.get(l)!.score, max: results.get(l)!.max })),
  };
}

export function evidenceCsv(g: ClassGrade): string {
  return toCsv(
    EVIDENCE_COLUMNS,
    g.rows.map((r) => [r.learner, r.step, r.status, r.message, r.expected, r.actual, r.ms, r.gradeScript]),
  );
}
