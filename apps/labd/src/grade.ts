import type { DriverName } from '@ebpf-lab/lab-spec';
import type { CheckResult } from '@ebpf-lab/check-sdk';
import { checkSteps, copySubmission, runScript, upLab } from './engine.ts';

export interface GradeReport {
  lab: string;
  submission: string;
  score: number;
  max: number;
  gradedAt: string;
  copied: string[];
  results: (CheckResult & { gradeScript?: string })[];
}

/**
 * Grades a submission: a fresh lab (setup included), the learner's files copied over the
 * workdir, each step's grade.sh (which rebuilds kernel state from the learner's own files),
 * then every check. Nothing from the reference solution runs.
 */
export async function grade(labId: string, submission: string, driver?: DriverName): Promise<GradeReport> {
  const { lab, inst } = await upLab(labId, driver);
  try {
    const copied = await copySubmission(inst, submission);
    const gradeNotes = new Map<string, string>();
    for (const s of lab.steps) {
      if (!s.grade) continue;
      try {
        await runScript(inst, s.grade, `the grade script of step "${s.id}"`, Math.max(60, s.timeoutSeconds * 4) * 1000, { LAB_STEP: s.id });
        gradeNotes.set(s.id, 'ran');
      } catch (e) {
        // A learner's program that fails to build or load is their result, not a grading error: the check will say fail.
        gradeNotes.set(s.id, (e as Error).message.split('\n').slice(0, 6).join('\n'));
      }
    }
    const results = (await checkSteps(inst, lab, undefined, 'grade')).map((r) => ({ ...r, gradeScript: gradeNotes.get(r.step) }));
    return {
      lab: labId,
      submission,
      copied,
      gradedAt: new Date().toISOString(),
      score: results.filter((r) => r.status === 'pass').length,
      max: results.length,
      results,
    };
  } finally {
    await inst.down();
  }
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function toJUnit(rep: GradeReport): string {
  const failures = rep.results.filter((r) => r.status === 'fail').length;
  const errors = rep.results.filter((r) => r.status === 'error').length;
  const cases = rep.results.map((r) => {
    const body =
      r.status === 'pass'
        ? ''
        : `<${r.status === 'fail' ? 'failure' : 'error'} message="${xml(r.message)}">${xml([r.expected && `expected: ${r.expected}`, r.actual && `actual: ${r.actual}`].filter(Boolean).join('\n'))}</${r.status === 'fail' ? 'failure' : 'error'}>`;
    return `  <testcase classname="${xml(rep.lab)}" name="${xml(r.step)}" time="${(r.ms / 1000).toFixed(3)}">${body}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="${xml(rep.lab)}" tests="${rep.max}" failures="${failures}" errors="${errors}" timestamp="${rep.gradedAt}">\n${cases.join('\n')}\n</testsuite>\n`;
}
