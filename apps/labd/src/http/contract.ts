import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENDPOINTS, parseAs, parseEvent, type EndpointKey, type SseEventName, type SseKey } from '@ebpf-lab/api';
import type { z } from 'zod';
import { config } from '../config.ts';
import { readJson, sendJson } from './http.ts';

type WithRequest = { [K in EndpointKey]: (typeof ENDPOINTS)[K] extends { request: z.ZodType } ? K : never }[EndpointKey];
type WithResponse = { [K in EndpointKey]: (typeof ENDPOINTS)[K]['response'] extends z.ZodType ? K : never }[EndpointKey];
type RequestOf<K extends WithRequest> = z.infer<Extract<(typeof ENDPOINTS)[K], { request: z.ZodType }>['request']>;
/** What a handler may answer: the schema's input (labd builds it), before any defaults. */
type AnswerOf<K extends WithResponse> = z.input<Extract<(typeof ENDPOINTS)[K]['response'], z.ZodType>>;

/**
 * Answers are checked against packages/api when ELAB_CHECK_RESPONSES=1 (every labd test sets it):
 * an answer that breaks the contract becomes a 500 naming the field, so a test sees it at once.
 * Off in production: the check costs a parse of every answer, the roster's included.
 */
let forced: boolean | undefined;
const checkResponses = () => forced ?? config().checkResponses;

/** Turns the check on or off in this process whatever the Config says (contract.test.ts). */
export function checkResponsesFor(on: boolean | undefined): void {
  forced = on;
}

/**
 * Under ELAB_CHECK_RESPONSES=1 labd refuses to start when its routes and packages/api's ENDPOINTS
 * differ: an endpoint added on one side only is caught by the first test that starts labd.
 */
export function assertRoutesMatchContract(routes: string[]): void {
  if (!checkResponses()) return;
  const contract = Object.keys(ENDPOINTS);
  const unlisted = routes.filter((r) => !contract.includes(r));
  const unrouted = contract.filter((k) => !routes.includes(k));
  if (unlisted.length || unrouted.length) {
    throw new Error(
      `labd's routes and packages/api differ: routed but not in ENDPOINTS: ${unlisted.join(', ') || 'none'}; in ENDPOINTS but not routed: ${unrouted.join(', ') || 'none'}`,
    );
  }
}

/** The JSON body of `key`, parsed with its request schema; a bad field is a 400 naming it. */
export function requestOf<K extends WithRequest>(req: IncomingMessage, key: K): Promise<RequestOf<K>> {
  return readJson(req, (ENDPOINTS[key] as { request: z.ZodType }).request) as Promise<RequestOf<K>>;
}

/**
 * Checks an answer of `key` against packages/api when asked to (ELAB_CHECK_RESPONSES=1), for
 * answers not sent by reply (a download); throws naming the field, which the router makes a 500.
 */
export function checkAnswer<K extends WithResponse>(key: K, body: AnswerOf<K>): void {
  if (checkResponses()) parseAs(ENDPOINTS[key].response as z.ZodType, body, `labd's answer to ${key} breaks packages/api`);
}

/** Sends the answer of `key` with its status from the contract (checked first when asked to). */
export function reply<K extends WithResponse>(res: ServerResponse, key: K, body: AnswerOf<K>): void {
  checkAnswer(key, body);
  sendJson(res, ENDPOINTS[key].status, body);
}

/** Checks one server-sent event of `key`'s stream when asked to (http/sse.ts sends it). */
export function checkEvent<K extends SseKey>(key: K, event: SseEventName<K>, data: unknown): void {
  if (checkResponses()) parseEvent(key, event, data);
}
