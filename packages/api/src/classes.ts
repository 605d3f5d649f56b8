import { z } from 'zod';
import { ClientField, LabState, LearnerId, StepStatus, Timestamp } from './common.ts';
import { DisplayName } from './display-name.ts';
import { LearnerSession } from './learners.ts';

// Classes (docs/api.md § Classes): instructor endpoints and the service's join/lookup.

const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9/-]*$/, 'a lesson slug: lower-case letters, digits, - and /')
  .max(200);
const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -')
  .max(100);
const ClassId = z.string().min(1).max(64);

/** The languages a class's lessons can be in (content/<language>/); a class without one is 'en'. */
export const CLASS_LANGUAGES = ['en', 'ko'] as const;
export type ClassLanguage = (typeof CLASS_LANGUAGES)[number];
/** A wrong language is named together with the ones there are. */
export const ClassLanguage = z.enum(CLASS_LANGUAGES, {
  error: (iss) => `the lessons' language must be one of ${CLASS_LANGUAGES.join(', ')} (got ${JSON.stringify(iss.input)?.slice(0, 20) ?? 'nothing'})`,
});

/** A class's lesson (labId null: a reading-only lesson). */
export const ClassLesson = z.object({ slug: z.string(), title: z.string(), labId: z.string().nullable() });
export type ClassLesson = z.infer<typeof ClassLesson>;

export const CreateClassRequest = z.object({
  name: z.string().trim().min(1).max(100),
  lessons: z
    .array(z.object({ slug: Slug, title: z.string().trim().min(1).max(200), labId: Id.nullable().optional() }))
    .min(1)
    .max(50),
  language: ClassLanguage.optional(),
});
export const ClassSummary = z.object({
  classId: z.string(),
  name: z.string(),
  code: z.string(),
  language: ClassLanguage,
  joinPath: z.string(),
  lessons: z.array(ClassLesson),
  createdAt: Timestamp,
  endedAt: Timestamp.nullable(),
});
export type ClassSummary = z.infer<typeof ClassSummary>;
export const ClassListResponse = z.object({ classes: z.array(ClassSummary.extend({ members: z.number().int().min(0) })) });
export type ClassListEntry = z.infer<typeof ClassListResponse>['classes'][number];

export const ClassRequest = z.object({ classId: ClassId });
/** POST /v1/classes/language: learners who join from then on open that language's lessons. */
export const ClassLanguageRequest = z.object({ classId: ClassId, language: ClassLanguage });

export const BroadcastRequest = z
  .object({
    classId: ClassId,
    message: z.string().trim().min(1).max(500).optional(),
    goto: z.object({ lesson: z.string().min(1).max(200), step: Id.optional() }).optional(),
  })
  .refine((b) => b.message || b.goto, { message: 'give a message, a goto, or both' });
export type BroadcastRequest = z.input<typeof BroadcastRequest>;
export const Broadcast = z.discriminatedUnion('kind', [
  z.object({ id: z.number().int(), classId: z.string(), kind: z.literal('message'), message: z.string(), createdAt: Timestamp }),
  z.object({
    id: z.number().int(),
    classId: z.string(),
    kind: z.literal('goto'),
    lesson: z.string(),
    step: z.string().nullable(),
    message: z.string().nullable(),
    createdAt: Timestamp,
  }),
]);
export type Broadcast = z.infer<typeof Broadcast>;

export const EndClassResponse = z.object({ classId: z.string(), endedAt: Timestamp, reaped: z.array(z.string()), errors: z.array(z.string()) });
export type EndClassResponse = z.infer<typeof EndClassResponse>;

/** What a learner may see of a class (GET /v1/classes/lookup). */
export const PublicClass = z.object({ classId: z.string(), name: z.string(), language: ClassLanguage, lessons: z.array(ClassLesson), ended: z.boolean() });
export type PublicClass = z.infer<typeof PublicClass>;

export const JoinRequest = z.object({ code: z.string().min(1).max(32), displayName: DisplayName, learnerId: LearnerId.optional(), client: ClientField });
export const JoinResponse = PublicClass.extend(LearnerSession.shape).extend({
  learnerId: LearnerId,
  displayName: z.string(),
  joinedAt: Timestamp,
  /** Labs on the host's kernel that the join took down (a class member holds none). */
  stoppedLabs: z.array(z.string()),
  notice: z.string().optional(),
});
export type JoinResponse = z.infer<typeof JoinResponse>;

export const RosterStep = z.object({ id: z.string(), title: z.string(), status: StepStatus, attempts: z.number().int(), passedAt: Timestamp.nullable() });
export type RosterStep = z.infer<typeof RosterStep>;
export const RosterRow = z.object({
  learnerId: z.string(),
  displayName: z.string(),
  joinedAt: Timestamp,
  /** The class lesson whose lab the learner touched last (started, reset or checked), else the first with a lab. */
  lesson: z.string().nullable(),
  labId: z.string().nullable(),
  lab: z.object({ state: LabState, instanceId: z.string().nullable(), error: z.string().optional() }),
  /** The first step not yet passed; null once every step of the lab is passed (or there is no lab). */
  step: z.object({ id: z.string(), title: z.string(), index: z.number().int() }).nullable(),
  stepsDone: z.number().int(),
  stepsTotal: z.number().int(),
  /** Since when the learner is on the current step: their latest pass in the class's labs, or when they joined. */
  stepSince: Timestamp,
  attempts: z.number().int(),
  failStreak: z.number().int(),
  lastCheck: z.object({ step: z.string(), status: StepStatus, message: z.string(), at: Timestamp }).nullable(),
  stuck: z.boolean(),
  stuckReason: z.string().nullable(),
  /** A terminal session of this lab is live (the learner has a shell open or in its grace period). */
  terminal: z.boolean(),
  steps: z.array(RosterStep),
});
export type RosterRow = z.infer<typeof RosterRow>;
export const Roster = z.object({
  class: z.object({
    id: z.string(),
    name: z.string(),
    code: z.string(),
    language: ClassLanguage,
    createdAt: Timestamp,
    endedAt: Timestamp.nullable(),
    lessons: z.array(ClassLesson),
  }),
  stuckRule: z.string(),
  learners: z.array(RosterRow),
});
export type Roster = z.infer<typeof Roster>;

/** GET /v1/classes/export?format=json (the CSV has the same rows). */
export const ClassExport = z.object({
  class: z.object({ id: z.string(), name: z.string(), code: z.string(), createdAt: Timestamp, endedAt: Timestamp.nullable() }),
  exportedAt: Timestamp,
  rows: z.array(
    z.object({
      learner: z.string(),
      learnerId: z.string(),
      lesson: z.string(),
      lab: z.string(),
      step: z.string(),
      status: StepStatus,
      attempts: z.number().int(),
      firstPassAt: Timestamp.nullable(),
      firstPassAfterS: z.number().nullable(),
      lastMessage: z.string().nullable(),
    }),
  ),
});
export type ClassExport = z.infer<typeof ClassExport>;
