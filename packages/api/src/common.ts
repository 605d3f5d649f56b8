import { z } from 'zod';

/**
 * labd's error answer: what was wrong (`error`), what to do (`hint`), and, for refusals a client
 * acts on, a machine-readable `reason` and fields such as `retryAfterS`, `limit`, `drivers`.
 */
export const ErrorBody = z.looseObject({
  error: z.string().min(1),
  hint: z.string().optional(),
  reason: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The drivers labd knows; lab.yaml's `drivers` (packages/lab-spec) is a list of these. */
export const DRIVER_NAMES = ['netns', 'vagrant', 'kind', 'vm'] as const;
export const DriverName = z.enum(DRIVER_NAMES);
export type DriverName = z.infer<typeof DriverName>;

export const LabState = z.enum(['down', 'starting', 'ready', 'error']);
export type LabState = z.infer<typeof LabState>;
/** A step's status for one learner: `error` is a check that broke, never the learner's fault. */
export const StepStatus = z.enum(['pending', 'pass', 'fail', 'error']);
export type StepStatus = z.infer<typeof StepStatus>;
export const CheckStatus = z.enum(['pass', 'fail', 'error']);
export type CheckStatus = z.infer<typeof CheckStatus>;

/** ISO-8601 timestamps as labd writes them (SQLite's or Date#toISOString). */
export const Timestamp = z.string().min(1);
/** Who the web is acting for: the browser's address, for per-client limits (never a credential). */
export const ClientField = z.string().min(1).max(100).optional();
export const LearnerId = z.string().min(1).max(64);
export const LabId = z.string().min(1).max(100);
