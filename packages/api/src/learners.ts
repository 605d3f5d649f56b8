import { z } from 'zod';
import { ClientField, LabId, LearnerId, Timestamp } from './common.ts';
import { DisplayName } from './display-name.ts';

// Service-token endpoints: learners, their browser sessions and lab tokens (docs/api.md § Endpoints).

export const CreateLearnerRequest = z.object({ displayName: DisplayName, client: ClientField });
/** A learner session: the web's cookie holds `session` until `expiresAt`. */
export const LearnerSession = z.object({ session: z.string().min(1), expiresAt: Timestamp });
export const CreateLearnerResponse = LearnerSession.extend({ learnerId: LearnerId, displayName: z.string() });
export type CreateLearnerResponse = z.infer<typeof CreateLearnerResponse>;

export const EndSessionRequest = z.object({ session: z.string().min(1).max(100) });
export const EndSessionResponse = z.object({ ended: z.boolean() });

export const TokenRequest = z.object({ learnerId: LearnerId, labId: LabId, session: z.string().min(1).max(100).optional() });
export const TokenResponse = z.object({ token: z.string().min(1) });

export const PolicyResponse = z.object({
  trustLearners: z.boolean(),
  /** Why labd counts as reachable by others, or null on loopback. */
  exposed: z.string().nullable(),
  maxLabs: z.number().int(),
  maxLabsPerLearner: z.number().int(),
  maxLearners: z.number().int(),
});
export type PolicyResponse = z.infer<typeof PolicyResponse>;

/** The instructor's sign-in session (POST /v1/instructor/sessions). */
export const InstructorSessionResponse = z.object({ token: z.string().min(1), expiresAt: Timestamp });
export const OkResponse = z.object({ ok: z.literal(true) });
