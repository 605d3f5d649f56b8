import type { ServerResponse } from 'node:http';
import type { ErrorBody } from '@ebpf-lab/api';
import { DomainError, LabError, type ErrorKind } from '../errors.ts';
import { sendJson } from './http.ts';

/** The one mapping from a domain refusal to an HTTP status (docs/api.md § Errors). */
export const STATUS_OF: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  'too-large': 413,
  unmet: 424,
  'too-many': 429,
  unavailable: 503,
};

/** A refusal only the transport knows (405 method, 421 Host): no core module throws one. */
export class TransportError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Any error as labd answers it: a status and `{error, hint?, ...extra}`. */
export function httpErrorOf(e: unknown): { status: number; body: ErrorBody } {
  const body = (message: string, hint?: string, extra?: Record<string, unknown>): ErrorBody => ({ error: message, ...(hint ? { hint } : {}), ...extra });
  if (e instanceof TransportError) return { status: e.status, body: body(e.message, e.hint) };
  if (e instanceof DomainError) return { status: STATUS_OF[e.kind], body: body(e.message, e.hint, e.extra) };
  // A LabError from the engine: bad input (exit code 2) is the caller's, anything else labd's.
  if (e instanceof LabError) return { status: e.exitCode === 2 ? 400 : 500, body: body(e.message, e.hint) };
  return { status: 500, body: body((e as Error)?.message || String(e)) };
}

/** Answers with the error; once the answer has begun (an SSE stream) the connection is cut instead. */
export function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, body } = httpErrorOf(e);
  sendJson(res, status, body);
}
