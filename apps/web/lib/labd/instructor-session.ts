import { randomBytes } from 'node:crypto';
import { readCookie } from './session';

/**
 * The instructor token lives only in this process: the browser holds a random session id in an
 * httpOnly, SameSite=Strict cookie scoped to /instructor. A web restart signs instructors out (they
 * paste the token again), which is the price of never writing the token anywhere.
 */
export const INSTRUCTOR_COOKIE = 'elab_instructor';
const IDLE_MS = 12 * 3600_000;

interface Entry { token: string; seen: number }
// Route handlers and pages are separate bundles in Next; one map per process, shared through globalThis.
const g = globalThis as unknown as { __elabInstructorSessions?: Map<string, Entry> };
const sessions = (g.__elabInstructorSessions ??= new Map());

export function createInstructorSession(token: string): { id: string; setCookie: string } {
  const id = randomBytes(32).toString('base64url');
  sessions.set(id, { token, seen: Date.now() });
  return { id, setCookie: `${INSTRUCTOR_COOKIE}=${id}; Path=/instructor; HttpOnly; SameSite=Strict; Max-Age=${IDLE_MS / 1000}` };
}

/** The instructor token behind a session id (from a Cookie header or a cookie value), or null. */
export function instructorTokenFor(cookieHeaderOrId: { header?: string | null; id?: string }): string | null {
  const id = cookieHeaderOrId.id ?? readCookie(cookieHeaderOrId.header, INSTRUCTOR_COOKIE);
  const e = id ? sessions.get(id) : undefined;
  if (!e) return null;
  if (Date.now() - e.seen > IDLE_MS) { sessions.delete(id!); return null; }
  e.seen = Date.now();
  return e.token;
}

export function endInstructorSession(header: string | null): string {
  const id = readCookie(header, INSTRUCTOR_COOKIE);
  if (id) sessions.delete(id);
  return `${INSTRUCTOR_COOKIE}=; Path=/instructor; HttpOnly; SameSite=Strict; Max-Age=0`;
}
