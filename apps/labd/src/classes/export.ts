import type { StepStatus, Store } from '../store/store.ts';
import type { ClassRow, ClassStore } from './class-store.ts';
import { toCsv } from './csv.ts';
import { labSteps } from './roster.ts';

export interface ResultRow {
  learner: string;
  learnerId: string;
  lesson: string;
  lab: string;
  step: string;
  status: StepStatus;
  /** Pass and fail runs (check errors are the check's fault and do not count). */
  attempts: number;
  firstPassAt: string | null;
  /** Seconds from joining the class to the first pass; null before a pass (or for a pass made before joining: 0). */
  firstPassAfterS: number | null;
  lastMessage: string | null;
}

export interface ClassExport {
  class: { id: string; name: string; code: string; createdAt: string; endedAt: string | null };
  exportedAt: string;
  rows: ResultRow[];
}

/** One row per learner × step of every lab in the class, in roster and lesson order. */
export function classResults(classes: ClassStore, store: Store, cls: ClassRow): ClassExport {
  const labs: { lesson: string; labId: string }[] = [];
  for (const l of cls.lessons) if (l.labId && !labs.some((x) => x.labId === l.labId)) labs.push({ lesson: l.slug, labId: l.labId });
  const rows: ResultRow[] = [];
  for (const m of classes.members(cls.id)) {
    for (const { lesson, labId } of labs) {
      const progress = store.progress(m.learnerId, labId);
      for (const s of labSteps(labId)) {
        const p = progress.get(s.id);
        const passedAt = p?.passedAt ?? null;
        rows.push({
          learner: m.displayName,
          learnerId: m.learnerId,
          lesson,
          lab: labId,
          step: s.id,
          status: p?.status ?? 'pending',
          attempts: p?.attempts ?? 0,
          firstPassAt: passedAt,
          firstPassAfterS: passedAt ? Math.max(0, Math.round((Date.parse(passedAt) - Date.parse(m.joinedAt)) / 1000)) : null,
          lastMessage: p?.lastMessage ?? null,
        });
      }
    }
  }
  return {
    class: { id: cls.id, name: cls.name, code: cls.code, createdAt: cls.createdAt, endedAt: cls.endedAt },
    exportedAt: new Date().toISOString(),
    rows,
  };
}

export const RESULT_COLUMNS = ['learner', 'learner_id', 'lesson', 'lab', 'step', 'status', 'attempts', 'first_pass_at', 'first_pass_after_s', 'last_message'];

export function resultsCsv(e: ClassExport): string {
  return toCsv(
    RESULT_COLUMNS,
    e.rows.map((r) => [r.learner, r.learnerId, r.lesson, r.lab, r.step, r.status, r.attempts, r.firstPassAt, r.firstPassAfterS, r.lastMessage]),
  );
}
