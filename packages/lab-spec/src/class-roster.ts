/**
 * The instructor room's wire types: what labd sends on GET /v1/classes/roster and in the room's
 * `roster` events (docs/api.md § Classes), and what the web renders. Types only, so the browser
 * bundle that imports them pulls in nothing.
 */

/** A step's status for one learner: `error` is a check that broke, never the learner's fault. */
export type StepStatus = 'pending' | 'pass' | 'fail' | 'error';
export type LabState = 'down' | 'starting' | 'ready' | 'error';

/** The languages a class's lessons can be in (content/<language>/); a class without one is 'en'. */
export const CLASS_LANGUAGES = ['en', 'ko'] as const;
export type ClassLanguage = (typeof CLASS_LANGUAGES)[number];

/** A class's lesson (labId null: a reading-only lesson). */
export interface ClassLesson { slug: string; title: string; labId: string | null }

export interface RosterStep { id: string; title: string; status: StepStatus; attempts: number; passedAt: string | null }

export interface RosterRow {
  learnerId: string;
  displayName: string;
  joinedAt: string;
  /** The class lesson whose lab the learner touched last (started, reset or checked), else the first with a lab. */
  lesson: string | null;
  labId: string | null;
  lab: { state: LabState; instanceId: string | null; error?: string };
  /** The first step not yet passed; null once every step of the lab is passed (or there is no lab). */
  step: { id: string; title: string; index: number } | null;
  stepsDone: number;
  stepsTotal: number;
  /** Since when the learner is on the current step: their latest pass in the class's labs, or when they joined. */
  stepSince: string;
  attempts: number;
  failStreak: number;
  lastCheck: { step: string; status: StepStatus; message: string; at: string } | null;
  stuck: boolean;
  stuckReason: string | null;
  /** A terminal session of this lab is live (the learner has a shell open or in its grace period). */
  terminal: boolean;
  steps: RosterStep[];
}

export interface Roster {
  class: { id: string; name: string; code: string; language: ClassLanguage; createdAt: string; endedAt: string | null; lessons: ClassLesson[] };
  stuckRule: string;
  learners: RosterRow[];
}
