import type { Progress } from '../drivers/types.ts';
import { isFinal } from '../core/lab-manager.ts';
import type { ClassRow } from './class-store.ts';
import type { RosterDeps } from './roster.ts';

/** Labs are taken down a few at a time: each down kills processes and deletes links, which is mostly waiting on the kernel. */
const REAP_CONCURRENCY = 4;

export interface EndReport {
  classId: string;
  endedAt: string;
  reaped: string[];
  errors: string[];
}

/**
 * Ends a class: no more joins, and every member's lab of the class's labs is taken down (their
 * terminals get Exit). A lab still starting is waited for and then taken down, so none is left
 * behind. Progress stays: the export and the roster still read it. Safe to call again.
 */
export async function endClass(deps: RosterDeps, cls: ClassRow): Promise<EndReport> {
  deps.classes.end(cls.id);
  const labIds = [...new Set(cls.lessons.map((l) => l.labId).filter((x): x is string => !!x))];
  const jobs = deps.classes.members(cls.id).flatMap((m) => labIds.map((labId) => ({ kind: 'learner' as const, learnerId: m.learnerId, labId })));
  const reaped: string[] = [];
  const errors: string[] = [];
  const one = async (p: (typeof jobs)[number]) => {
    let sub: ReturnType<RosterDeps['manager']['subscribe']> | undefined;
    await new Promise<void>((resolve) => {
      sub = deps.manager.subscribe(p, (x: Progress) => {
        if (isFinal(x)) resolve();
      });
      if (!sub.active || sub.past.some(isFinal)) resolve();
    });
    sub?.unsubscribe();
    let cur;
    try {
      cur = await deps.manager.current(p);
    } catch (e) {
      errors.push(`${p.learnerId}/${p.labId}: ${(e as Error).message}`);
      return;
    }
    if (!cur) return;
    const id = cur.inst.state.id;
    try {
      await deps.registry.closeInstance(id);
      await deps.manager.withInstance(cur, () => cur.inst.down());
      deps.store.setLearnerLab(p.learnerId, p.labId, null, null);
      reaped.push(id);
    } catch (e) {
      errors.push(`${p.learnerId}/${p.labId} (${id}): ${(e as Error).message}`);
    }
  };
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: Math.min(REAP_CONCURRENCY, queue.length) }, async () => {
      for (let p = queue.shift(); p; p = queue.shift()) await one(p);
    }),
  );
  return { classId: cls.id, endedAt: deps.classes.get(cls.id)!.endedAt!, reaped: reaped.sort(), errors };
}
