import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createLearner, labdJson, LabdError, mintLearnerToken } from './client';
import { labdEnv, serviceToken } from './env';

/**
 * The browser holds only a signed learner cookie: the learner, and a learner session that labd
 * keeps (it expires, and ending it — DELETE /api/learner — makes the cookie worthless at once).
 * Lab tokens stay in this process. The cookie is signed with a key derived from the service
 * token, so it survives web restarts and becomes invalid when labd's state is gone.
 */
export const LEARNER_COOKIE = 'elab_learner';

export interface Learner {
  id: string;
  name: string;
  session: string;
  /** expiry, unix seconds */ exp: number;
}

function cookieKey(): Buffer {
  return createHash('sha256').update('ebpf-lab web learner cookie\0').update(serviceToken()).digest();
}

function sign(payload: string): string {
  return createHmac('sha256', cookieKey()).update(payload).digest('base64url');
}

export function encodeLearnerCookie(l: Learner): string {
  const payload = Buffer.from(JSON.stringify({ id: l.id, name: l.name, s: l.session, exp: l.exp })).toString('base64url');
  return `${payload}.${sign(payload)}`;
}

/** The learner in a cookie value: null when unsigned, tampered, of the old format, or expired. */
export function decodeLearnerCookie(value: string | undefined, nowS = Date.now() / 1000): Learner | null {
  if (!value) return null;
  const [payload, mac] = value.split('.');
  if (!payload || !mac) return null;
  const want = Buffer.from(sign(payload));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  try {
    const l = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { id?: unknown; name?: unknown; s?: unknown; exp?: unknown };
    if (typeof l.id !== 'string' || typeof l.name !== 'string' || typeof l.s !== 'string' || typeof l.exp !== 'number') return null;
    return l.exp > nowS ? { id: l.id, name: l.name, session: l.s, exp: l.exp } : null;
  } catch {
    return null;
  }
}

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** `; Secure` when the web is served over HTTPS (ELAB_SECURE_COOKIES, "auto" by the public origin). */
export const secureAttr = (): string => (labdEnv().secureCookies ? '; Secure' : '');

export function setCookieHeader(l: Learner): string {
  const maxAge = Math.max(0, Math.floor(l.exp - Date.now() / 1000));
  return `${LEARNER_COOKIE}=${encodeLearnerCookie(l)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secureAttr()}`;
}

export const clearCookieHeader = (): string => `${LEARNER_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secureAttr()}`;

/** A learner from labd's answer to a create or a join (both open a session). */
export function learnerOf(r: { learnerId: string; displayName: string; session: string; expiresAt: string }): Learner {
  return { id: r.learnerId, name: r.displayName, session: r.session, exp: Math.floor(Date.parse(r.expiresAt) / 1000) };
}

const tokens = new Map<string, Promise<string>>();

/** A labd token for (learner session, lab), minted once per process and re-minted after a 401. */
export function learnerToken(learner: Learner, labId: string, { fresh = false } = {}): Promise<string> {
  const key = `${learner.session}\0${labId}`;
  if (fresh) tokens.delete(key);
  let t = tokens.get(key);
  if (!t) {
    t = mintLearnerToken(learner.id, labId, learner.session);
    tokens.set(key, t);
    t.catch(() => tokens.delete(key));
  }
  return t;
}

export interface Session {
  learner: Learner;
  token: string;
}

/**
 * The learner behind a request (from its cookie) and their token for `labId`, or null: no valid
 * cookie, or labd has ended the session or lost the learner. A request never makes a learner;
 * only the page's explicit POST /api/learner (or a class join) does.
 */
export async function sessionFor(cookieHeader: string | null | undefined, labId: string, opts: { fresh?: boolean } = {}): Promise<Session | null> {
  const known = decodeLearnerCookie(readCookie(cookieHeader, LEARNER_COOKIE));
  if (!known) return null;
  try {
    return { learner: known, token: await learnerToken(known, labId, opts) };
  } catch (e) {
    // The learner's session ended or expired (labd says reason 'session'), or labd lost this learner
    // (404/400): the cookie is worth nothing. Any other 401 is labd refusing the web's own service
    // token, which is the operator's problem: clearing learners' cookies for it would cost every
    // learner their identity and progress, so it is a real failure (502 at the proxy).
    if (e instanceof LabdError && ((e.status === 401 && e.reason === 'session') || e.status === 400 || e.status === 404)) return null;
    if (e instanceof LabdError && e.status === 401) {
      console.error('web: labd refused the service token; restart the web after labd rotated it (see ELAB_SERVICE_TOKEN_FILE)');
      throw new LabdError(502, "labd refused this web server's service token", 'the operator must restart the web (its token is out of date)');
    }
    throw e;
  }
}

/** A new learner with a session, for the browser at `client`: labd enforces the rate and the caps. */
export async function newLearner(client: string | undefined): Promise<Learner> {
  return learnerOf(await createLearner(`learner-${randomBytes(3).toString('hex')}`, client));
}

/** Ends the cookie's session in labd (whatever labd says, the cookie is cleared after). */
export async function endLearnerSession(cookieHeader: string | null | undefined): Promise<void> {
  const known = decodeLearnerCookie(readCookie(cookieHeader, LEARNER_COOKIE));
  if (!known) return;
  for (const key of [...tokens.keys()]) if (key.startsWith(`${known.session}\0`)) tokens.delete(key);
  await labdJson('DELETE /v1/learners/session', serviceToken(), { body: { session: known.session } }).catch(() => undefined);
}
