import type { z } from 'zod';
import {
  BroadcastRequest,
  Broadcast,
  ClassExport,
  ClassListResponse,
  ClassLanguageRequest,
  ClassRequest,
  ClassSummary,
  CreateClassRequest,
  EndClassResponse,
  JoinRequest,
  JoinResponse,
  PublicClass,
  Roster,
} from './classes.ts';
import {
  BuildRequest,
  BuildResult,
  ChecksRequest,
  ChecksResponse,
  DoctorReport,
  DriversResponse,
  LabsResponse,
  LabView,
  ResetRequest,
  StartRequest,
} from './lab.ts';
import {
  CreateLearnerRequest,
  CreateLearnerResponse,
  EndSessionRequest,
  EndSessionResponse,
  InstructorSessionResponse,
  OkResponse,
  PolicyResponse,
  TokenRequest,
  TokenResponse,
} from './learners.ts';

/** One endpoint: its JSON request body (if any) and its JSON answer on success (null: not JSON — bytes, SSE, 204). */
export interface Endpoint {
  request?: z.ZodType;
  response: z.ZodType | null;
  status: number;
}

/**
 * Every HTTP endpoint of labd (docs/api.md), by `METHOD path`. labd parses request bodies with
 * `request` and (when ELAB_CHECK_RESPONSES=1, as in every labd test) its answers with `response`;
 * the web parses what it gets back with the same schemas.
 */
export const ENDPOINTS = {
  'POST /v1/learners': { request: CreateLearnerRequest, response: CreateLearnerResponse, status: 201 },
  'DELETE /v1/learners/session': { request: EndSessionRequest, response: EndSessionResponse, status: 200 },
  'GET /v1/policy': { response: PolicyResponse, status: 200 },
  'POST /v1/tokens': { request: TokenRequest, response: TokenResponse, status: 201 },
  'GET /v1/lab': { response: LabView, status: 200 },
  'POST /v1/lab': { request: StartRequest, response: LabView, status: 200 },
  'DELETE /v1/lab': { response: LabView, status: 200 },
  'GET /v1/lab/drivers': { response: DriversResponse, status: 200 },
  'GET /v1/lab/events': { response: null, status: 200 },
  'POST /v1/lab/reset': { request: ResetRequest, response: LabView, status: 200 },
  'POST /v1/lab/checks': { request: ChecksRequest, response: ChecksResponse, status: 200 },
  'GET /v1/lab/files': { response: null, status: 200 },
  'PUT /v1/lab/files': { response: null, status: 204 },
  'POST /v1/lab/build': { request: BuildRequest, response: BuildResult, status: 200 },
  'GET /v1/doctor': { response: DoctorReport, status: 200 },
  'GET /v1/labs': { response: LabsResponse, status: 200 },
  'POST /v1/instructor/sessions': { response: InstructorSessionResponse, status: 201 },
  'DELETE /v1/instructor/sessions': { response: OkResponse, status: 200 },
  'POST /v1/classes': { request: CreateClassRequest, response: ClassSummary, status: 201 },
  'GET /v1/classes': { response: ClassListResponse, status: 200 },
  'POST /v1/classes/language': { request: ClassLanguageRequest, response: ClassSummary, status: 200 },
  'GET /v1/classes/roster': { response: Roster, status: 200 },
  'GET /v1/classes/events': { response: null, status: 200 },
  'POST /v1/classes/broadcast': { request: BroadcastRequest, response: Broadcast, status: 201 },
  'GET /v1/classes/export': { response: ClassExport, status: 200 },
  'POST /v1/classes/end': { request: ClassRequest, response: EndClassResponse, status: 200 },
  'GET /v1/classes/lookup': { response: PublicClass, status: 200 },
  'POST /v1/classes/join': { request: JoinRequest, response: JoinResponse, status: 201 },
  'GET /v1/classes/learner-events': { response: null, status: 200 },
} as const satisfies Record<string, Endpoint>;
export type EndpointKey = keyof typeof ENDPOINTS;

/** A value that does not match its schema; the message names the endpoint and every bad field. */
export class ContractError extends Error {
  constructor(
    readonly what: string,
    readonly issues: { field: string; message: string }[],
  ) {
    super(`${what}: ${issues.map((i) => `${i.field || '(top level)'}: ${i.message}`).join('; ')}`);
    this.name = 'ContractError';
  }
}

/** Parses `value` with `schema`, or throws a ContractError naming `what` and each bad field. */
export function parseAs<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ContractError(
    what,
    r.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
  );
}

export type JsonKey = { [K in EndpointKey]: (typeof ENDPOINTS)[K]['response'] extends z.ZodType ? K : never }[EndpointKey];
/** The answer type of a JSON endpoint. */
export type ResponseOf<K extends JsonKey> = z.infer<Extract<(typeof ENDPOINTS)[K]['response'], z.ZodType>>;

/** The answer of `key`, checked against its schema (for callers of labd: the web, tests, the CLI). */
export function parseResponse<K extends JsonKey>(key: K, value: unknown): ResponseOf<K> {
  const schema = ENDPOINTS[key].response as z.ZodType | null;
  if (!schema) throw new Error(`${key} does not answer with JSON`);
  return parseAs(schema, value, `labd's answer to ${key}`) as ResponseOf<K>;
}
