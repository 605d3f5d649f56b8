import type { Roster, RosterRow, RosterStep } from '@ebpf-lab/lab-spec';
import { findLab } from '../engine.ts';
import type { LabManager } from '../core/lab-manager.ts';
import type { SessionRegistry } from '../sessions/registry.ts';
import type { Store } from '../store/store.ts';
import type { Attempt, ClassRow, ClassStore, Member } from './class-store.ts';

/**
 * The "stuck" rule, shown to instructors beside the flag: a learner is stuck on their current
 * step when they have been on it longer than STUCK_ON_STEP_MS, or when their last
 * STUCK_FAIL_STREAK or more check runs of it all failed. Check errors (the check's own fault)
 * neither count towards the streak nor break it; a pass ends it.
 */
export const STUCK_ON_STEP_MS = 10 * 60_000;
export const STUCK_FAIL_STREAK = 3;
export const STUCK_RULE = `on the current step for more than ${STUCK_ON_STEP_MS / 60_000} min, or ${STUCK_FAIL_STREAK}+ failed checks of it in a row (check errors ignored)`;

export interface RosterDeps {
  classes: ClassStore;
  store: Store;
  manager: LabManager;
  registry: SessionRegistry;
}

/** Failed runs of one step in a row, newest first, until a pass; errors are skipped. */
export function failStreak(newestFirst: Pick<Attempt, 'status'>[]): number {
  let n = 0;
  for (const a of newestFirst) {
    if (a.status === 'pass') break;
    if (a.status === 'fail') n++;
  }
  return n;
}

export function stuckReason(r: { done: boolean; stepSince: string; failStreak: number }, now: number): string | null {
  if (r.done) return null;
  if (r.failStreak >= STUCK_FAIL_STREAK) return `${r.failStreak} failed checks in a row`;
  const on = now - Date.parse(r.stepSince);
  if (on > STUCK_ON_STEP_MS) return `${Math.floor(on / 60_000)} min on this step`;
  return null;
}

/** Step titles from the lab catalog (kept in memory, reloaded when lab.yaml changes). */
export function labSteps(labId: string): { id: string; title: string }[] {
  try {
    return findLab(labId).steps.map((s) => ({ id: s.id, title: s.title }));
  } catch {
    return []; /* a lab removed mid-class shows no steps */
  }
}

/** The lab a learner is working in: the class lab they touched last, else the first one. */
export function currentLab(deps: Pick<RosterDeps, 'classes'>, cls: ClassRow, learnerId: string): { lesson: string; labId: string } | null {
  const withLab = cls.lessons.filter((l): l is typeof l & { labId: string } => l.labId !== null);
  if (!withLab.length) return null;
  const activity = deps.classes.lastActivity(learnerId, [...new Set(withLab.map((l) => l.labId))]);
  let best = withLab[0]!;
  let bestAt = activity.get(best.labId) ?? '';
  for (const l of withLab) {
    const at = activity.get(l.labId) ?? '';
    if (at > bestAt) {
      best = l;
      bestAt = at;
    }
  }
  return { lesson: best.slug, labId: best.labId };
}

async function row(deps: RosterDeps, cls: ClassRow, m: Member, now: number): Promise<RosterRow> {
  const cur = currentLab(deps, cls, m.learnerId);
  const classLabs = [...new Set(cls.lessons.map((l) => l.labId).filter((x): x is string => !!x))];
  const lastPass = deps.classes.lastPassAt(m.learnerId, classLabs);
  const stepSince = lastPass && lastPass > m.joinedAt ? lastPass : m.joinedAt;
  const base = { learnerId: m.learnerId, displayName: m.displayName, joinedAt: m.joinedAt, stepSince };
  if (!cur) {
    return {
      ...base,
      lesson: null,
      labId: null,
      lab: { state: 'down', instanceId: null },
      step: null,
      stepsDone: 0,
      stepsTotal: 0,
      attempts: 0,
      failStreak: 0,
      lastCheck: null,
      stuck: false,
      stuckReason: null,
      terminal: false,
      steps: [],
    };
  }
  const p = { kind: 'learner' as const, learnerId: m.learnerId, labId: cur.labId };
  const lab = await deps.manager.peek(p);
  const progress = deps.store.progress(m.learnerId, cur.labId);
  const steps = labSteps(cur.labId).map((s): RosterStep => {
    const pr = progress.get(s.id);
    return { id: s.id, title: s.title, status: pr?.status ?? 'pending', attempts: pr?.attempts ?? 0, passedAt: pr?.passedAt ?? null };
  });
  const index = steps.findIndex((s) => s.status !== 'pass');
  const step = index >= 0 ? steps[index]! : null;
  const streak = step ? failStreak(deps.classes.recentAttempts(m.learnerId, cur.labId, step.id)) : 0;
  const last = deps.classes.lastAttempt(m.learnerId, cur.labId);
  const reason = stuckReason({ done: !step, stepSince, failStreak: streak }, now);
  const terminal = lab.instanceId !== null && deps.registry.list().some(({ key }) => key.learnerId === m.learnerId && key.instanceId === lab.instanceId);
  return {
    ...base,
    lesson: cur.lesson,
    labId: cur.labId,
    lab,
    step: step ? { id: step.id, title: step.title, index: index + 1 } : null,
    stepsDone: steps.filter((s) => s.status === 'pass').length,
    stepsTotal: steps.length,
    attempts: step?.attempts ?? 0,
    failStreak: streak,
    lastCheck: last ? { step: last.stepId, status: last.status, message: last.message, at: last.createdAt } : null,
    stuck: reason !== null,
    stuckReason: reason,
    terminal,
    steps,
  };
}

export async function buildRoster(deps: RosterDeps, cls: ClassRow, now = Date.now()): Promise<Roster> {
  const learners = await Promise.all(deps.classes.members(cls.id).map((m) => row(deps, cls, m, now)));
  return {
    class: { id: cls.id, name: cls.name, code: cls.code, language: cls.language, createdAt: cls.createdAt, endedAt: cls.endedAt, lessons: cls.lessons },
    stuckRule: STUCK_RULE,
    learners,
  };
}
