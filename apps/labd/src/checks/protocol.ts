/**
 * The protocol between labd and a check child (checks/child.ts): one JSON object per line on the
 * child's fd 3, both ways. The child asks labd to run commands in the lab (it holds no lab handle
 * itself) and ends with one verdict. Everything the child sends is validated here, because the
 * child runs lab code: anything malformed becomes an `error` verdict, never a pass or fail.
 */
import { z } from 'zod';
export { lineSplitter } from './lines.ts';

/** A line from the child longer than this ends the run as `error` (a verdict is a few hundred bytes). */
export const MAX_CHILD_LINE = 256 * 1024;

const outcome = z.strictObject({
  status: z.enum(['pass', 'fail', 'error']),
  message: z.string(),
  expected: z.string().optional(),
  actual: z.string().optional(),
});

const opts = { node: z.string().optional(), timeoutMs: z.number().positive().optional() };

/** What the child may say. `id` ties a call to labd's reply. */
export const childMessage = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('exec'), id: z.number().int(), cmd: z.string(), ...opts }),
  z.strictObject({ t: z.literal('readFile'), id: z.number().int(), path: z.string() }),
  z.strictObject({ t: z.literal('labPids'), id: z.number().int() }),
  /** The child is up and waiting for `run` (sent once, at start). */
  z.strictObject({ t: z.literal('ready') }),
  /** check.ts is imported: the step's timeout starts now (start-up and import have their own limit). */
  z.strictObject({ t: z.literal('started') }),
  z.strictObject({ t: z.literal('verdict'), outcome }),
  /** The check threw, had no default export, or returned something that is not an outcome. */
  z.strictObject({ t: z.literal('crash'), message: z.string() }),
]);
export type ChildMessage = z.infer<typeof childMessage>;

/** What labd sends: the one run request, then replies to calls. labd is trusted, so these are typed, not parsed. */
export type ParentMessage =
  | { t: 'run'; checkPath: string; labId: string; instanceId: string; stepId: string; mode: 'live' | 'grade'; timeoutMs: number; timeScale: number }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: string };

/** Parses one line from the child; a string is the reason it is not a valid message. */
export function parseChildLine(line: string): ChildMessage | string {
  if (line.length > MAX_CHILD_LINE) return `a message of ${line.length} bytes (the limit is ${MAX_CHILD_LINE})`;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return `something that is not JSON: ${JSON.stringify(line.slice(0, 80))}`;
  }
  const r = childMessage.safeParse(raw);
  if (!r.success) return `a message that does not fit the protocol (${r.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')})`;
  return r.data;
}
