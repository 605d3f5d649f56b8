import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { StepStatus } from '@ebpf-lab/lab-spec';
import type { CheckResult } from '@ebpf-lab/check-sdk';
import { MIGRATIONS, type Migration } from './migrations.ts';

export type TokenKind = 'service' | 'instructor' | 'learner';
/** `session`: an instructor sign-in session (acts as the instructor, but cannot open more sessions). */
export interface TokenRow {
  kind: TokenKind;
  learnerId: string | null;
  labId: string | null;
  session?: true;
}
export interface Learner {
  id: string;
  displayName: string;
  createdAt: string;
}
export interface LearnerLab {
  instanceId: string | null;
  driver: string | null;
}
export type LabPhase = 'creating' | 'ready' | 'failed' | 'down';
/** A learner_labs row as instance-store.ts owns it. */
export interface LearnerLabRow extends LearnerLab {
  learnerId: string;
  labId: string;
  phase: LabPhase;
  /** While creating: the driver, and the process doing it (pid + /proc start time). */
  creatingDriver: string | null;
  starter: { pid: number; start: string | null } | null;
  error: { message: string; hint?: string } | null;
}
type RawLearnerLab = {
  learner_id: string;
  lab_id: string;
  instance_id: string | null;
  driver: string | null;
  phase: LabPhase;
  creating_driver: string | null;
  starter_pid: number | null;
  starter_start: string | null;
  error: string | null;
  error_hint: string | null;
};
const learnerLabOf = (r: RawLearnerLab): LearnerLabRow => ({
  learnerId: r.learner_id,
  labId: r.lab_id,
  instanceId: r.instance_id,
  driver: r.driver,
  phase: r.phase,
  creatingDriver: r.creating_driver,
  starter: r.starter_pid === null ? null : { pid: r.starter_pid, start: r.starter_start },
  error: r.error === null ? null : { message: r.error, ...(r.error_hint ? { hint: r.error_hint } : {}) },
});
export type { StepStatus };
export interface StepProgress {
  stepId: string;
  status: StepStatus;
  attempts: number;
  lastMessage: string | null;
  firstSeenAt: string;
  passedAt: string | null;
}

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
export const newToken = () => randomBytes(32).toString('base64url');
const now = () => new Date().toISOString();

export function openDatabase(file: string, migrations: Migration[] = MIGRATIONS): Database.Database {
  const db = new Database(file);
  // WAL lets readers run while a check result is written; NORMAL sync is safe with WAL.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

export function migrate(db: Database.Database, migrations: Migration[]): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const done = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id));
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(m.id, now());
    })();
    applied.push(m.id);
  }
  return applied;
}

/** Typed access to labd's tables; every SQL statement labd runs lives here. */
export class Store {
  readonly db: Database.Database;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true });
    this.db = openDatabase(join(stateDir, 'labd.db'));
  }

  close(): void {
    this.db.close();
  }

  /**
   * Replaces the stored hash of a service or instructor token, so an old one stops working. A new
   * instructor token also ends every instructor session opened with the old one.
   */
  setFixedToken(kind: 'service' | 'instructor', token: string): void {
    this.db.transaction(() => {
      const old = this.db.prepare('SELECT hash FROM tokens WHERE kind = ?').get(kind) as { hash: string } | undefined;
      if (kind === 'instructor' && old?.hash !== hashToken(token)) this.db.prepare('DELETE FROM instructor_sessions').run();
      this.db.prepare('DELETE FROM tokens WHERE kind = ?').run(kind);
      this.db.prepare('INSERT INTO tokens (hash, kind, created_at) VALUES (?, ?, ?)').run(hashToken(token), kind, now());
    })();
  }

  /**
   * Looks a token up by its hash. The lookup key is a hash of the secret, so its timing says
   * nothing usable about the secret; the final comparison is constant-time all the same.
   */
  findToken(token: string): TokenRow | null {
    const hash = hashToken(token);
    const row = this.db
      .prepare(
        `SELECT t.hash, t.kind, t.learner_id, t.lab_id FROM tokens t
      WHERE t.hash = ? AND (t.session_hash IS NULL OR EXISTS (SELECT 1 FROM learner_sessions s WHERE s.hash = t.session_hash AND s.expires_at > ?))`,
      )
      .get(hash, now()) as { hash: string; kind: TokenKind; learner_id: string | null; lab_id: string | null } | undefined;
    if (row && timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return { kind: row.kind, learnerId: row.learner_id, labId: row.lab_id };
    const s = this.db.prepare('SELECT hash FROM instructor_sessions WHERE hash = ? AND expires_at > ?').get(hash, now()) as { hash: string } | undefined;
    if (s && timingSafeEqual(Buffer.from(s.hash, 'hex'), Buffer.from(hash, 'hex'))) return { kind: 'instructor', learnerId: null, labId: null, session: true };
    return null;
  }

  /** A new instructor session token, valid for `ttlMs`; expired sessions are dropped on the way. */
  openInstructorSession(ttlMs: number): { token: string; expiresAt: string } {
    const token = newToken();
    const expiresAt = new Date(Date.now() + ttlMs).toISOString();
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM instructor_sessions WHERE expires_at <= ?').run(now());
      this.db.prepare('INSERT INTO instructor_sessions (hash, created_at, expires_at) VALUES (?, ?, ?)').run(hashToken(token), now(), expiresAt);
    })();
    return { token, expiresAt };
  }

  /** Ends one instructor session; true when it was open. */
  endInstructorSession(token: string): boolean {
    return this.db.prepare('DELETE FROM instructor_sessions WHERE hash = ?').run(hashToken(token)).changes > 0;
  }

  /** A lab token; minted through a learner session (the web's case), it lives only as long as that session. */
  mintLearnerToken(learnerId: string, labId: string, session?: string): string {
    const token = newToken();
    this.db
      .prepare('INSERT INTO tokens (hash, kind, learner_id, lab_id, created_at, session_hash) VALUES (?, ?, ?, ?, ?, ?)')
      .run(hashToken(token), 'learner', learnerId, labId, now(), session ? hashToken(session) : null);
    return token;
  }

  /** A new browser session for a learner, valid for `ttlMs`; expired sessions (and their tokens) are dropped on the way. */
  openLearnerSession(learnerId: string, ttlMs: number): { session: string; expiresAt: string } {
    const session = newToken();
    const expiresAt = new Date(Date.now() + ttlMs).toISOString();
    this.db.transaction(() => {
      const expired = this.db.prepare('SELECT hash FROM learner_sessions WHERE expires_at <= ?').all(now()) as { hash: string }[];
      for (const e of expired) this.dropLearnerSession(e.hash);
      this.db
        .prepare('INSERT INTO learner_sessions (hash, learner_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
        .run(hashToken(session), learnerId, now(), expiresAt);
    })();
    return { session, expiresAt };
  }

  /** The learner a live session belongs to, or null when it is unknown, ended or expired. */
  learnerOfSession(session: string): string | null {
    const r = this.db.prepare('SELECT learner_id FROM learner_sessions WHERE hash = ? AND expires_at > ?').get(hashToken(session), now()) as
      { learner_id: string } | undefined;
    return r?.learner_id ?? null;
  }

  /** Ends a learner session and every lab token minted through it; true when it was open. */
  endLearnerSession(session: string): boolean {
    return this.db.transaction(() => this.dropLearnerSession(hashToken(session)))();
  }

  private dropLearnerSession(hash: string): boolean {
    this.db.prepare('DELETE FROM tokens WHERE session_hash = ?').run(hash);
    return this.db.prepare('DELETE FROM learner_sessions WHERE hash = ?').run(hash).changes > 0;
  }

  /** True when the learner is a member of a class that has not ended. */
  inOpenClass(learnerId: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM class_members m JOIN classes c ON c.id = m.class_id WHERE m.learner_id = ? AND c.ended_at IS NULL LIMIT 1')
        .get(learnerId) !== undefined
    );
  }

  learnerCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM learners').get() as { n: number }).n;
  }

  createLearner(displayName: string): Learner {
    const l = { id: `l${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`, displayName, createdAt: now() };
    this.db.prepare('INSERT INTO learners (id, display_name, created_at) VALUES (?, ?, ?)').run(l.id, l.displayName, l.createdAt);
    return l;
  }

  getLearner(id: string): Learner | null {
    const r = this.db.prepare('SELECT id, display_name, created_at FROM learners WHERE id = ?').get(id) as
      { id: string; display_name: string; created_at: string } | undefined;
    return r ? { id: r.id, displayName: r.display_name, createdAt: r.created_at } : null;
  }

  getLearnerLab(learnerId: string, labId: string): LearnerLab {
    const r = this.db.prepare('SELECT instance_id, driver FROM learner_labs WHERE learner_id = ? AND lab_id = ?').get(learnerId, labId) as
      { instance_id: string | null; driver: string | null } | undefined;
    return { instanceId: r?.instance_id ?? null, driver: r?.driver ?? null };
  }

  /**
   * Records (or, with null, forgets) the learner's instance and driver choice. The phase follows,
   * except while a start is running (it ends it with endCreating) and after a failure, which
   * stays shown until the next start.
   */
  setLearnerLab(learnerId: string, labId: string, instanceId: string | null, driver: string | null): void {
    this.db
      .prepare(
        `INSERT INTO learner_labs (learner_id, lab_id, instance_id, driver, updated_at, phase) VALUES (?, ?, ?, ?, ?, CASE WHEN ? IS NULL THEN 'down' ELSE 'ready' END)
      ON CONFLICT (learner_id, lab_id) DO UPDATE SET instance_id = excluded.instance_id, driver = excluded.driver, updated_at = excluded.updated_at,
        phase = CASE WHEN phase = 'creating' THEN 'creating' WHEN excluded.instance_id IS NOT NULL THEN 'ready' WHEN phase = 'failed' THEN 'failed' ELSE 'down' END`,
      )
      .run(learnerId, labId, instanceId, driver, now(), instanceId);
  }

  learnerLabRow(learnerId: string, labId: string): LearnerLabRow | null {
    const r = this.db.prepare('SELECT * FROM learner_labs WHERE learner_id = ? AND lab_id = ?').get(learnerId, labId) as RawLearnerLab | undefined;
    return r ? learnerLabOf(r) : null;
  }

  /** A start begins: the phase is `creating` by this process, and the last failure is cleared. */
  beginCreating(learnerId: string, labId: string, driver: string, starter: { pid: number; start: string | null }): void {
    this.db
      .prepare(
        `INSERT INTO learner_labs (learner_id, lab_id, updated_at, phase, creating_driver, starter_pid, starter_start) VALUES (?, ?, ?, 'creating', ?, ?, ?)
      ON CONFLICT (learner_id, lab_id) DO UPDATE SET updated_at = excluded.updated_at, phase = 'creating', creating_driver = excluded.creating_driver,
        starter_pid = excluded.starter_pid, starter_start = excluded.starter_start, error = NULL, error_hint = NULL`,
      )
      .run(learnerId, labId, now(), driver, starter.pid, starter.start);
  }

  /** A start ends: `failed` with the reason, else ready when it recorded an instance, else down. */
  endCreating(learnerId: string, labId: string, failure: { message: string; hint?: string } | null): void {
    this.db
      .prepare(
        `UPDATE learner_labs SET updated_at = ?, creating_driver = NULL, starter_pid = NULL, starter_start = NULL, error = ?, error_hint = ?,
      phase = CASE WHEN ? THEN 'failed' WHEN instance_id IS NOT NULL THEN 'ready' ELSE 'down' END WHERE learner_id = ? AND lab_id = ?`,
      )
      .run(now(), failure?.message ?? null, failure?.hint ?? null, failure ? 1 : 0, learnerId, labId);
  }

  /** Every lab recorded as being started (by this process or, after a crash, by a dead one). */
  creatingLabs(): LearnerLabRow[] {
    return (this.db.prepare(`SELECT * FROM learner_labs WHERE phase = 'creating'`).all() as RawLearnerLab[]).map(learnerLabOf);
  }

  /** Every instance id some learner holds: what labd reattaches to after a restart. */
  heldInstances(): { learnerId: string; labId: string; instanceId: string }[] {
    return (
      this.db.prepare('SELECT learner_id, lab_id, instance_id FROM learner_labs WHERE instance_id IS NOT NULL').all() as {
        learner_id: string;
        lab_id: string;
        instance_id: string;
      }[]
    ).map((r) => ({ learnerId: r.learner_id, labId: r.lab_id, instanceId: r.instance_id }));
  }

  progress(learnerId: string, labId: string): Map<string, StepProgress> {
    const rows = this.db
      .prepare(
        `SELECT step_id, status, attempts, last_message, first_seen_at, passed_at FROM step_progress
      WHERE learner_id = ? AND lab_id = ?`,
      )
      .all(learnerId, labId) as {
      step_id: string;
      status: StepStatus;
      attempts: number;
      last_message: string | null;
      first_seen_at: string;
      passed_at: string | null;
    }[];
    return new Map(
      rows.map((r) => [
        r.step_id,
        { stepId: r.step_id, status: r.status, attempts: r.attempts, lastMessage: r.last_message, firstSeenAt: r.first_seen_at, passedAt: r.passed_at },
      ]),
    );
  }

  /**
   * Records one check run. `attempts` counts the learner's tries (pass or fail); an `error` is the
   * check's fault, so it is kept in the history but neither counts as a try nor undoes a pass.
   */
  recordChecks(learnerId: string, labId: string, instanceId: string, results: CheckResult[]): void {
    const t = now();
    const insertAttempt = this.db.prepare(`INSERT INTO check_attempts (learner_id, lab_id, step_id, instance_id, status, result, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    const upsert = this.db
      .prepare(`INSERT INTO step_progress (learner_id, lab_id, step_id, status, attempts, last_message, first_seen_at, passed_at, updated_at)
      VALUES (@learner, @lab, @step, @status, @try, @message, @t, CASE WHEN @status = 'pass' THEN @t END, @t)
      ON CONFLICT (learner_id, lab_id, step_id) DO UPDATE SET
        status = CASE WHEN @status = 'error' AND status = 'pass' THEN status ELSE @status END,
        attempts = attempts + @try,
        last_message = @message,
        passed_at = COALESCE(passed_at, CASE WHEN @status = 'pass' THEN @t END),
        updated_at = @t`);
    this.db.transaction(() => {
      for (const r of results) {
        insertAttempt.run(learnerId, labId, r.step, instanceId, r.status, JSON.stringify(r), t);
        upsert.run({ learner: learnerId, lab: labId, step: r.step, status: r.status, try: r.status === 'error' ? 0 : 1, message: r.message, t });
      }
    })();
  }

  attempts(learnerId: string, labId: string, stepId: string): CheckResult[] {
    return (
      this.db.prepare('SELECT result FROM check_attempts WHERE learner_id = ? AND lab_id = ? AND step_id = ? ORDER BY id').all(learnerId, labId, stepId) as {
        result: string;
      }[]
    ).map((r) => JSON.parse(r.result) as CheckResult);
  }
}
