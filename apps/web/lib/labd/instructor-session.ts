import { labdFetch, labdJson } from './client';
import { readCookie, secureAttr } from './session';

/**
 * An instructor's sign-in: the web checks the instructor token against labd, asks labd for a
 * session token (expires in 12 h, revocable, cannot open further sessions), and gives only that to
 * the browser in an httpOnly, SameSite=Strict cookie scoped to /instructor. The instructor token
 * itself is dropped once the session is open, and a web restart keeps everyone signed in, since
 * the session lives in labd's database.
 */
export const INSTRUCTOR_COOKIE = 'elab_instructor';
/** The shape of labd's tokens (32 random bytes, base64url): anything else is no session. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const cookieAttrs = (): string => `Path=/instructor; HttpOnly; SameSite=Strict${secureAttr()}`;

export async function createInstructorSession(instructorToken: string): Promise<{ setCookie: string }> {
  const s = await labdJson('POST /v1/instructor/sessions', instructorToken);
  const maxAge = Math.max(0, Math.floor((Date.parse(s.expiresAt) - Date.now()) / 1000));
  return { setCookie: `${INSTRUCTOR_COOKIE}=${s.token}; ${cookieAttrs()}; Max-Age=${maxAge}` };
}

/**
 * The session token a request carries (from a Cookie header or a cookie value), or null. labd
 * judges it on every call: an expired or ended session is a 401 there, which callers treat as
 * signed out.
 */
export function instructorTokenFor(from: { header?: string | null; id?: string }): string | null {
  const t = from.id ?? readCookie(from.header, INSTRUCTOR_COOKIE);
  return t && TOKEN.test(t) ? t : null;
}

/** Ends the request's session in labd (whatever labd says, the cookie is cleared) and returns the clearing Set-Cookie. */
export async function endInstructorSession(header: string | null): Promise<string> {
  const token = instructorTokenFor({ header });
  if (token)
    await labdFetch('/v1/instructor/sessions', { method: 'DELETE', token }).then(
      (r) => r.text(),
      () => undefined,
    );
  return `${INSTRUCTOR_COOKIE}=; ${cookieAttrs()}; Max-Age=0`;
}
