import { z } from 'zod';
import { CheckStatus, DriverName, LabId, LabState, StepStatus } from './common.ts';

// Learner-token endpoints: one learner's instance of one lab (docs/api.md § Endpoints).

export const LabStep = z.object({
  id: z.string(),
  title: z.string(),
  status: StepStatus,
  attempts: z.number().int().min(0),
  lastMessage: z.string().nullable(),
});
export type LabStep = z.infer<typeof LabStep>;

/** GET/POST/DELETE /v1/lab and POST /v1/lab/reset. */
export const LabView = z.object({
  labId: LabId,
  instanceId: z.string().nullable(),
  state: LabState,
  /** The running (or starting) lab's driver; when down, the one the next start uses. */
  driver: DriverName,
  nodes: z.array(z.string()),
  error: z.string().optional(),
  steps: z.array(LabStep),
});
export type LabView = z.infer<typeof LabView>;

/** A driver name is any string here: one the lab does not run on is refused by labd with the allowed list. */
const DriverChoiceField = z.string().min(1).max(40).optional();
const StepField = z.string().min(1).max(100).optional();
export const StartRequest = z.looseObject({ driver: DriverChoiceField });
export const ResetRequest = z.object({ step: StepField, driver: DriverChoiceField });
export const ChecksRequest = z.object({ step: StepField });

/** What to do about one thing a driver lacks here. */
export const Missing = z.object({ what: z.string(), fix: z.string() });
/** One row of GET /v1/lab/drivers: can the token's lab run on this driver, here and now? */
export const DriverChoice = z.object({
  name: DriverName,
  /** In the lab's lab.yaml `drivers`. */
  supported: z.boolean(),
  ok: z.boolean(),
  missing: z.array(Missing),
});
export type DriverChoice = z.infer<typeof DriverChoice>;
export const DriversResponse = z.array(DriverChoice);

/** One event of GET /v1/lab/events (and of a start's progress inside labd). */
export const Progress = z.object({ phase: z.string(), message: z.string(), /** 0..1 when known */ fraction: z.number().optional() });
export type Progress = z.infer<typeof Progress>;

export const CheckResultView = z.object({
  step: z.string(),
  status: CheckStatus,
  message: z.string(),
  expected: z.string().optional(),
  actual: z.string().optional(),
  ms: z.number().optional(),
});
export type CheckResultView = z.infer<typeof CheckResultView>;
export const ChecksResponse = z.array(CheckResultView);

/** `bpf/<tool>/` in the lab workdir. */
export const TOOL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const BuildRequest = z.object({ tool: z.string().regex(TOOL_NAME, 'a tool folder name under bpf/, e.g. "hello"') });
export const Diagnostic = z.object({
  /** Relative to the lab workdir (bpf/hello/hello.bpf.c) unless a system header. */
  file: z.string(),
  line: z.number().int(),
  /** The verifier knows lines, not columns: its diagnostics have column 1. */
  column: z.number().int(),
  severity: z.enum(['error', 'warning', 'info']),
  message: z.string(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;
export const BuildResult = z.object({ ok: z.boolean(), stage: z.enum(['compile', 'load', 'done']), log: z.string(), diagnostics: z.array(Diagnostic) });
export type BuildResult = z.infer<typeof BuildResult>;

/** GET /v1/doctor: the `lab doctor --json` report; `ok: null` is "could not tell". */
export const DoctorItem = z.object({ name: z.string(), ok: z.boolean().nullable(), detail: z.string(), fix: z.string().optional() });
export const DoctorReport = z.object({ kernel: z.string(), items: z.array(DoctorItem) });
export type DoctorReport = z.infer<typeof DoctorReport>;

/** One lab as the web shows it (GET /v1/labs): the picker's drivers, step titles, hints and editor files; or why it cannot load. */
export const LabListing = z.discriminatedUnion('ok', [
  z.object({
    id: z.string(),
    ok: z.literal(true),
    title: z.string(),
    drivers: z.array(z.string()),
    /** The file the lesson's editor opens (lab.yaml `editor.open`), per lab and per step. */
    editor: z.string().optional(),
    steps: z.array(z.object({ id: z.string(), title: z.string(), hint: z.string().optional(), editor: z.string().optional() })),
  }),
  z.object({
    id: z.string(),
    ok: z.literal(false),
    error: z.object({ file: z.string(), issues: z.array(z.object({ field: z.string(), message: z.string() })) }),
  }),
]);
export type LabListing = z.infer<typeof LabListing>;
export const LabsResponse = z.object({ labs: z.array(LabListing) });
