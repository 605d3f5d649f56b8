// The server-sent event streams of labd: for each SSE endpoint, the schema of every event it
// sends, by event name ('message' is an event without a name: a bare `data:` line). labd checks
// each event with these under ELAB_CHECK_RESPONSES=1; clients parse what they get with parseEvent.
import { z } from 'zod';
import { Broadcast, ClassLesson, Roster } from './classes.ts';
import { Timestamp } from './common.ts';
import { Progress } from './lab.ts';
import { ContractError, parseAs } from './endpoints.ts';

/** A class has ended (both class streams). */
export const ClassEnded = z.object({ classId: z.string(), endedAt: Timestamp });

export const SSE_EVENTS = {
  /** A start's progress; the stream ends after a final phase (ready, error, down). */
  'GET /v1/lab/events': { message: Progress },
  /** The instructor's room: sent broadcasts first, then the roster whenever it changes. */
  'GET /v1/classes/events': { broadcasts: z.array(Broadcast), roster: Roster, broadcast: Broadcast, ended: ClassEnded },
  /** A learner's banner: each active class, its newest message again (replay: true), then new ones. */
  'GET /v1/classes/learner-events': {
    class: z.object({ classId: z.string(), name: z.string(), lessons: z.array(ClassLesson) }),
    broadcast: z.intersection(Broadcast, z.object({ replay: z.literal(true).optional() })),
    ended: ClassEnded,
  },
} as const satisfies Record<string, Record<string, z.ZodType>>;
export type SseKey = keyof typeof SSE_EVENTS;
export type SseEventName<K extends SseKey> = keyof (typeof SSE_EVENTS)[K] & string;
export type SseEventOf<K extends SseKey, E extends SseEventName<K>> = z.output<Extract<(typeof SSE_EVENTS)[K][E], z.ZodType>>;

/** Parses one event of `key`'s stream; an unknown event name or a bad field throws a ContractError naming it. */
export function parseEvent<K extends SseKey, E extends SseEventName<K>>(key: K, event: E, data: unknown): SseEventOf<K, E> {
  const schema = (SSE_EVENTS[key] as Record<string, z.ZodType>)[event];
  const what = `event "${event}" of ${key}`;
  if (!schema) throw new ContractError(what, [{ field: '', message: `not an event of this stream (it has: ${Object.keys(SSE_EVENTS[key]).join(', ')})` }]);
  return parseAs(schema, data, what) as SseEventOf<K, E>;
}
