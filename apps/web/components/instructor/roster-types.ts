/** The roster as labd sends it (GET /v1/classes/roster and the `roster` events); see docs/api.md § Classes. */
export type StepStatus = 'pending' | 'pass' | 'fail' | 'error';
export interface RosterRowView {
  learnerId: string;
  displayName: string;
  joinedAt: string;
  lesson: string | null;
  labId: string | null;
  lab: { state: 'down' | 'starting' | 'ready' | 'error'; instanceId: string | null; error?: string };
  step: { id: string; title: string; index: number } | null;
  stepsDone: number;
  stepsTotal: number;
  stepSince: string;
  attempts: number;
  failStreak: number;
  lastCheck: { step: string; status: StepStatus; message: string; at: string } | null;
  stuck: boolean;
  stuckReason: string | null;
  terminal: boolean;
  steps: { id: string; title: string; status: StepStatus; attempts: number; passedAt: string | null }[];
}
export interface RosterView {
  class: { id: string; name: string; code: string; createdAt: string; endedAt: string | null; lessons: { slug: string; title: string; labId: string | null }[] };
  stuckRule: string;
  learners: RosterRowView[];
}
export type BroadcastView = { id: number; kind: 'message' | 'goto'; message: string | null; lesson?: string; step?: string | null; createdAt: string };
