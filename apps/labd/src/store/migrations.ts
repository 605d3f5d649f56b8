/**
 * Schema migrations, applied in list order and recorded by id in schema_migrations. Append new
 * entries at the end (instructor rooms add theirs after these); never edit or reorder one that has
 * shipped, since a state dir remembers which ids it has applied.
 */
export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    id: '001-learners-tokens-progress',
    sql: `
      CREATE TABLE learners (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      -- Only sha256 hashes are stored: a copied database grants nothing.
      CREATE TABLE tokens (
        hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('service', 'instructor', 'learner')),
        learner_id TEXT REFERENCES learners(id) ON DELETE CASCADE,
        lab_id TEXT,
        created_at TEXT NOT NULL,
        CHECK (kind != 'learner' OR (learner_id IS NOT NULL AND lab_id IS NOT NULL))
      );
      -- A learner's current instance of a lab; it outlives labd restarts (labs keep running).
      CREATE TABLE learner_labs (
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lab_id TEXT NOT NULL,
        instance_id TEXT,
        driver TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (learner_id, lab_id)
      );
      CREATE TABLE step_progress (
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lab_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'pass', 'fail', 'error')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_message TEXT,
        first_seen_at TEXT NOT NULL,
        passed_at TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (learner_id, lab_id, step_id)
      );
      CREATE TABLE check_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lab_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX check_attempts_by_step ON check_attempts (learner_id, lab_id, step_id, id);
    `,
  },
  {
    // Instructor-led classes (apps/labd/src/classes). Results stay in step_progress/check_attempts.
    id: '002-classes',
    sql: `
      CREATE TABLE classes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        code TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        ended_at TEXT
      );
      -- The lessons a class works through, in order; lab_id is null for a reading-only lesson.
      CREATE TABLE class_lessons (
        class_id TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        slug TEXT NOT NULL,
        title TEXT NOT NULL,
        lab_id TEXT,
        PRIMARY KEY (class_id, position)
      );
      CREATE TABLE class_members (
        class_id TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        display_name TEXT NOT NULL,
        joined_at TEXT NOT NULL,
        PRIMARY KEY (class_id, learner_id)
      );
      CREATE INDEX class_members_by_learner ON class_members (learner_id);
      CREATE TABLE class_broadcasts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        class_id TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('message', 'goto')),
        message TEXT,
        lesson TEXT,
        step TEXT,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    // Sign-in sessions the web opens for an instructor: tokens of their own (hashes only) that
    // expire and can be revoked, so the instructor token itself is never kept past the sign-in.
    id: '003-instructor-sessions',
    sql: `
      CREATE TABLE instructor_sessions (
        hash TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
    `,
  },
  {
    // A learner's browser session (the web's cookie holds its token): it expires, can be ended,
    // and the lab tokens minted through it die with it.
    id: '004-learner-sessions',
    sql: `
      CREATE TABLE learner_sessions (
        hash TEXT PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      ALTER TABLE tokens ADD COLUMN session_hash TEXT;
    `,
  },
  {
    // The language of a class's lessons, so a join link opens them in it; existing classes are English.
    id: '005-class-language',
    sql: `
      ALTER TABLE classes ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ko'));
    `,
  },
  {
    // The phase of each learner's lab (instance-store.ts), persisted so a start that a killed labd
    // left half done is found at the next start: who was starting it (pid and start time, which
    // tells a reused pid), on which driver, and the failure a learner is shown.
    id: '006-learner-lab-phase',
    sql: `
      ALTER TABLE learner_labs ADD COLUMN phase TEXT NOT NULL DEFAULT 'down' CHECK (phase IN ('creating', 'ready', 'failed', 'down'));
      ALTER TABLE learner_labs ADD COLUMN creating_driver TEXT;
      ALTER TABLE learner_labs ADD COLUMN starter_pid INTEGER;
      ALTER TABLE learner_labs ADD COLUMN starter_start TEXT;
      ALTER TABLE learner_labs ADD COLUMN error TEXT;
      ALTER TABLE learner_labs ADD COLUMN error_hint TEXT;
      UPDATE learner_labs SET phase = 'ready' WHERE instance_id IS NOT NULL;
    `,
  },
];
