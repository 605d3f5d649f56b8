import type { CheckResult, CheckStatus } from '@ebpf-lab/check-sdk';

/** One wrong or alternative solution run on its own fresh lab. */
export interface VariantResult {
  step: string;
  kind: 'wrong' | 'alt';
  name: string;
  /** The script's leading comment: the mistake (or the other form) it models. */
  about: string;
  /** The step's check status, or `setup` when the lab, an earlier solve.sh or the script itself broke. */
  status: CheckStatus | 'setup';
  message: string;
  expected?: string;
  actual?: string;
  ok: boolean;
  /** Why this is not ok, in one line. */
  problem?: string;
  ms: number;
}

export interface SelftestRun {
  lab: string;
  repetition: number;
  ok: boolean;
  upMs: number;
  ms: number;
  /** Every check on a fresh lab (must all fail). */
  before: CheckResult[];
  /** Every check after all reference solutions (must all pass). */
  after: CheckResult[];
  variants: VariantResult[];
  problems: string[];
}

/** One line of the per-lab table, aggregated over repetitions. */
export interface StepRow {
  lab: string;
  step: string;
  fresh: string;
  reference: string;
  wrong: { total: number; caught: number; missed: string[] };
  alt: { total: number; passed: number; rejected: string[] };
  /** Fewer than two wrong or one alternative solution: the check is not well proven. */
  thin: boolean;
}

export interface SelftestReport {
  ok: boolean;
  ms: number;
  runs: SelftestRun[];
  table: StepRow[];
  /** "lab/step (phase)" whose status changed between repetitions of the same phase or variant. */
  flaky: string[];
}

/**
 * Judges one variant's check result. A wrong solution must get `fail` (an `error` blames the check,
 * not the learner, so it does not count as caught), with `expected`/`actual` filled in, and with a
 * verdict that differs from the fresh lab's: a check that says the same to a learner who did
 * nothing and to one who made this specific mistake gives them nothing to go on.
 */
export function judgeVariant(
  kind: 'wrong' | 'alt',
  r: Pick<CheckResult, 'status' | 'message' | 'expected' | 'actual'>,
  fresh?: Pick<CheckResult, 'message' | 'actual'>,
): { ok: boolean; problem?: string } {
  if (kind === 'alt') {
    return r.status === 'pass'
      ? { ok: true }
      : { ok: false, problem: `a correct alternative was ${r.status === 'fail' ? 'rejected' : `answered with ${r.status}`}: ${r.message}` };
  }
  if (r.status === 'pass') return { ok: false, problem: `missed: the check passed a wrong solution (${r.message})` };
  if (r.status === 'error') return { ok: false, problem: `the check broke instead of failing: ${r.message}` };
  if (!r.expected || !r.actual)
    return { ok: false, problem: `the fail lacks ${!r.expected ? 'expected' : 'actual'}: a learner cannot see what differs (${r.message})` };
  if (fresh && fresh.message === r.message && fresh.actual === r.actual)
    return { ok: false, problem: `generic: the same verdict as on a fresh lab (${r.message})` };
  return { ok: true };
}

function statusesOf(rs: string[]): string {
  const counts = new Map<string, number>();
  for (const s of rs) counts.set(s, (counts.get(s) ?? 0) + 1);
  return counts.size === 1 ? [...counts.keys()][0]! : [...counts].map(([s, n]) => `${s}×${n}`).join(',');
}

/** One row per (lab, step); a variant counts as caught/passed only if it was in every repetition. */
export function buildTable(runs: SelftestRun[], steps: Map<string, { step: string; wrong: number; alt: number }[]>): StepRow[] {
  const rows: StepRow[] = [];
  for (const [lab, labSteps] of steps) {
    const labRuns = runs.filter((r) => r.lab === lab);
    for (const s of labSteps) {
      const fresh = labRuns.map((r) => r.before.find((c) => c.step === s.step)?.status ?? '-');
      const ref = labRuns.map((r) => r.after.find((c) => c.step === s.step)?.status ?? '-');
      const vs = labRuns.flatMap((r) => r.variants.filter((v) => v.step === s.step));
      const names = (kind: 'wrong' | 'alt') => [...new Set(vs.filter((v) => v.kind === kind).map((v) => v.name))];
      const bad = (kind: 'wrong' | 'alt') => names(kind).filter((n) => vs.some((v) => v.kind === kind && v.name === n && !v.ok));
      const wrongMissed = bad('wrong');
      const altRejected = bad('alt');
      rows.push({
        lab,
        step: s.step,
        fresh: statusesOf(fresh),
        reference: statusesOf(ref),
        wrong: { total: names('wrong').length, caught: names('wrong').length - wrongMissed.length, missed: wrongMissed },
        alt: { total: names('alt').length, passed: names('alt').length - altRejected.length, rejected: altRejected },
        thin: s.wrong < 2 || s.alt < 1,
      });
    }
  }
  return rows;
}

export function formatTable(rows: StepRow[]): string {
  const head = ['lab', 'step', 'fresh', 'reference', 'wrong caught', 'alt passed', 'not caught / wrongly rejected'];
  const body = rows.map((r) => [
    r.lab,
    r.step,
    r.fresh,
    r.reference,
    `${r.wrong.caught}/${r.wrong.total}`,
    `${r.alt.passed}/${r.alt.total}`,
    [...r.wrong.missed.map((n) => `wrong/${n}`), ...r.alt.rejected.map((n) => `alt/${n}`)].join(' ') +
      (r.thin ? `${r.wrong.missed.length + r.alt.rejected.length ? ' ' : ''}(thin: ship ≥2 wrong/ and ≥1 alt/)` : ''),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body]
    .map((cols) =>
      cols
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function findFlaky(runs: Pick<SelftestRun, 'lab' | 'before' | 'after' | 'variants'>[]): string[] {
  const seen = new Map<string, Set<string>>();
  const add = (key: string, status: string) => seen.set(key, (seen.get(key) ?? new Set()).add(status));
  for (const r of runs) {
    for (const [phase, rs] of [
      ['fresh', r.before],
      ['solved', r.after],
    ] as const)
      for (const c of rs) add(`${r.lab}/${c.step} (${phase})`, c.status);
    for (const v of r.variants) add(`${r.lab}/${v.step} (${v.kind}/${v.name})`, v.status);
  }
  return [...seen].filter(([, s]) => s.size > 1).map(([k]) => k);
}
