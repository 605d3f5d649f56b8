import { randomBytes, randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ClassLanguage, ClassLesson } from '@ebpf-lab/lab-spec';
import type { StepStatus, Store } from '../store/store.ts';

export type { ClassLesson };
export interface ClassRow {
  id: string;
  name: string;
  code: string;
  language: ClassLanguage;
  createdAt: string;
  endedAt: string | null;
  lessons: ClassLesson[];
}
export interface Member {
  learnerId: string;
  displayName: string;
  joinedAt: string;
}
export type Broadcast =
  | { id: number; classId: string; kind: 'message'; message: string; createdAt: string }
  | { id: number; classId: string; kind: 'goto'; lesson: string; step: string | null; message: string | null; createdAt: string };
export interface Attempt {
  stepId: string;
  status: StepStatus;
  message: string;
  createdAt: string;
}

/**
 * Join codes: 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 40 bits.
 * Together with labd's throttle on wrong codes that is far beyond guessing range for a class's
 * lifetime, and short enough to read out loud or type from a projector.
 */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 8;
const CODE = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

/** Upper-cases and drops separators a person may type ("abcd-efgh"); null when it cannot be a code. */
export function normalizeCode(input: string): string | null {
  const c = input.toUpperCase().replace(/[\s-]/g, '');
  return CODE.test(c) ? c : null;
}

function newCode(): string {
  let c = '';
  for (let i = 0; i < CODE_LENGTH; i++) c += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return c;
}

const now = () => new Date().toISOString();

type ClassDb = { id: string; name: string; code: string; language: ClassLanguage; created_at: string; ended_at: string | null };
type BroadcastDb = {
  id: number;
  class_id: string;
  kind: 'message' | 'goto';
  message: string | null;
  lesson: string | null;
  step: string | null;
  created_at: string;
};

function toBroadcast(r: BroadcastDb): Broadcast {
  return r.kind === 'message'
    ? { id: r.id, classId: r.class_id, kind: 'message', message: r.message ?? '', createdAt: r.created_at }
    : { id: r.id, classId: r.class_id, kind: 'goto', lesson: r.lesson ?? '', step: r.step, message: r.message, createdAt: r.created_at };
}

/**
 * The class tables of migration 002 (classes, their lessons, members and broadcasts), beside the
 * Store that owns learners and progress. It reads step_progress and check_attempts directly for
 * the roster, read-only: results are recorded by the lab API alone.
 */
export class ClassStore {
  private readonly db: Database.Database;

  constructor(readonly store: Store) {
    this.db = store.db;
  }

  create(name: string, lessons: ClassLesson[], language: ClassLanguage = 'en'): ClassRow {
    const id = `c${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`;
    const createdAt = now();
    this.db.transaction(() => {
      // A collision of 40-bit codes among live classes is unlikely; the UNIQUE index makes it a retry, not a mix-up.
      for (let tries = 0; ; tries++) {
        try {
          this.db.prepare('INSERT INTO classes (id, name, code, language, created_at) VALUES (?, ?, ?, ?, ?)').run(id, name, newCode(), language, createdAt);
          break;
        } catch (e) {
          if (tries > 5 || !String((e as Error).message).includes('UNIQUE')) throw e;
        }
      }
      const add = this.db.prepare('INSERT INTO class_lessons (class_id, position, slug, title, lab_id) VALUES (?, ?, ?, ?, ?)');
      lessons.forEach((l, i) => add.run(id, i, l.slug, l.title, l.labId));
    })();
    return this.get(id)!;
  }

  private withLessons(r: ClassDb): ClassRow {
    const lessons = (
      this.db.prepare('SELECT slug, title, lab_id FROM class_lessons WHERE class_id = ? ORDER BY position').all(r.id) as {
        slug: string;
        title: string;
        lab_id: string | null;
      }[]
    ).map((l) => ({ slug: l.slug, title: l.title, labId: l.lab_id }));
    return { id: r.id, name: r.name, code: r.code, language: r.language, createdAt: r.created_at, endedAt: r.ended_at, lessons };
  }

  get(id: string): ClassRow | null {
    const r = this.db.prepare('SELECT id, name, code, language, created_at, ended_at FROM classes WHERE id = ?').get(id) as ClassDb | undefined;
    return r ? this.withLessons(r) : null;
  }

  byCode(code: string): ClassRow | null {
    const r = this.db.prepare('SELECT id, name, code, language, created_at, ended_at FROM classes WHERE code = ?').get(code) as ClassDb | undefined;
    return r ? this.withLessons(r) : null;
  }

  list(): (ClassRow & { members: number })[] {
    const rows = this.db.prepare('SELECT id, name, code, language, created_at, ended_at FROM classes ORDER BY created_at DESC, id').all() as ClassDb[];
    const count = this.db.prepare('SELECT COUNT(*) AS n FROM class_members WHERE class_id = ?');
    return rows.map((r) => ({ ...this.withLessons(r), members: (count.get(r.id) as { n: number }).n }));
  }

  /** Changes the lessons' language; learners who join from now on open that language's lessons. */
  setLanguage(id: string, language: ClassLanguage): void {
    this.db.prepare('UPDATE classes SET language = ? WHERE id = ?').run(language, id);
  }

  end(id: string): void {
    this.db.prepare('UPDATE classes SET ended_at = COALESCE(ended_at, ?) WHERE id = ?').run(now(), id);
  }

  /** Enrols a learner, or renames one who joins again (their joined_at is kept). */
  join(classId: string, learnerId: string, displayName: string): Member {
    this.db
      .prepare(
        `INSERT INTO class_members (class_id, learner_id, display_name, joined_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (class_id, learner_id) DO UPDATE SET display_name = excluded.display_name`,
      )
      .run(classId, learnerId, displayName, now());
    return this.members(classId).find((m) => m.learnerId === learnerId)!;
  }

  members(classId: string): Member[] {
    return (
      this.db.prepare('SELECT learner_id, display_name, joined_at FROM class_members WHERE class_id = ? ORDER BY joined_at, rowid').all(classId) as {
        learner_id: string;
        display_name: string;
        joined_at: string;
      }[]
    ).map((r) => ({ learnerId: r.learner_id, displayName: r.display_name, joinedAt: r.joined_at }));
  }

  isMember(classId: string, learnerId: string): boolean {
    return this.db.prepare('SELECT 1 FROM class_members WHERE class_id = ? AND learner_id = ?').get(classId, learnerId) !== undefined;
  }

  /** Classes a learner is in that have not ended: where their broadcasts come from. */
  activeClassesOf(learnerId: string): string[] {
    return (
      this.db
        .prepare(
          `SELECT m.class_id FROM class_members m JOIN classes c ON c.id = m.class_id
      WHERE m.learner_id = ? AND c.ended_at IS NULL`,
        )
        .all(learnerId) as { class_id: string }[]
    ).map((r) => r.class_id);
  }

  addBroadcast(
    classId: string,
    b: { kind: 'message'; message: string } | { kind: 'goto'; lesson: string; step: string | null; message: string | null },
  ): Broadcast {
    const info =
      b.kind === 'message'
        ? this.db.prepare('INSERT INTO class_broadcasts (class_id, kind, message, created_at) VALUES (?, ?, ?, ?)').run(classId, 'message', b.message, now())
        : this.db
            .prepare('INSERT INTO class_broadcasts (class_id, kind, message, lesson, step, created_at) VALUES (?, ?, ?, ?, ?, ?)')
            .run(classId, 'goto', b.message, b.lesson, b.step, now());
    return toBroadcast(this.db.prepare('SELECT * FROM class_broadcasts WHERE id = ?').get(info.lastInsertRowid) as BroadcastDb);
  }

  broadcasts(classId: string, limit = 50): Broadcast[] {
    return (this.db.prepare('SELECT * FROM class_broadcasts WHERE class_id = ? ORDER BY id DESC LIMIT ?').all(classId, limit) as BroadcastDb[])
      .map(toBroadcast)
      .reverse();
  }

  /** When the learner last did anything in each lab: the lab (re)started, or a check ran. */
  lastActivity(learnerId: string, labIds: string[]): Map<string, string> {
    const out = new Map<string, string>();
    const started = this.db.prepare('SELECT updated_at FROM learner_labs WHERE learner_id = ? AND lab_id = ?');
    const checked = this.db.prepare('SELECT MAX(created_at) AS t FROM check_attempts WHERE learner_id = ? AND lab_id = ?');
    for (const lab of labIds) {
      const a = (started.get(learnerId, lab) as { updated_at: string } | undefined)?.updated_at;
      const b = (checked.get(learnerId, lab) as { t: string | null }).t ?? undefined;
      const t = [a, b]
        .filter((x): x is string => !!x)
        .sort()
        .at(-1);
      if (t) out.set(lab, t);
    }
    return out;
  }

  /** The newest passes in these labs (ISO times), for "time on the current step". */
  lastPassAt(learnerId: string, labIds: string[]): string | null {
    if (!labIds.length) return null;
    const r = this.db
      .prepare(`SELECT MAX(passed_at) AS t FROM step_progress WHERE learner_id = ? AND lab_id IN (${labIds.map(() => '?').join(',')})`)
      .get(learnerId, ...labIds) as { t: string | null };
    return r.t;
  }

  /** A learner's check runs of one step, newest first. */
  recentAttempts(learnerId: string, labId: string, stepId: string, limit = 20): Attempt[] {
    return this.attemptRows(
      this.db
        .prepare(
          `SELECT step_id, status, result, created_at FROM check_attempts
      WHERE learner_id = ? AND lab_id = ? AND step_id = ? ORDER BY id DESC LIMIT ?`,
        )
        .all(learnerId, labId, stepId, limit),
    );
  }

  /** The learner's newest check run in a lab, whatever the step. */
  lastAttempt(learnerId: string, labId: string): Attempt | null {
    const r = this.db
      .prepare('SELECT step_id, status, result, created_at FROM check_attempts WHERE learner_id = ? AND lab_id = ? ORDER BY id DESC LIMIT 1')
      .get(learnerId, labId);
    return r ? this.attemptRows([r])[0]! : null;
  }

  private attemptRows(rows: unknown[]): Attempt[] {
    return (rows as { step_id: string; status: StepStatus; result: string; created_at: string }[]).map((r) => ({
      stepId: r.step_id,
      status: r.status,
      message: (JSON.parse(r.result) as { message?: string }).message ?? '',
      createdAt: r.created_at,
    }));
  }
}
