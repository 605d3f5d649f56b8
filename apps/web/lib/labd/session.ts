import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createLearner, LabdError, mintLearnerToken } from './client';
import { serviceToken } from './env';

/**
 * The browser holds only a signed learner cookie; learner tokens stay in this process. The cookie
 * is signed with a key derived from the service token, so it survives web restarts and becomes
 * invalid (→ a new learner) when labd's state, and with it the learner, is gone.
 */
export const LEARNER_COOKIE = 'elab_learner';
const ONE_YEAR_S = 365 * 24 * 3600;

export interface Learner { id: string; name: string }

function cookieKey(): Buffer {
  return createHash('sha256').update('ebpf-lab web learner cookie\0').update(serviceToken()).digest();
}

function sign(payload: string): string {
  return createHmac('sha256', cookieKey()).update(payload).digest('base64url');
}

export function encodeLearnerCookie(l: Learner): string {
  const payload = Buffer.from(JSON.stringify({ id: l.id, name: l.name })).toString('base64url');
  return `${payload}.${sign(payload)}`;
}

export function decodeLearnerCookie(value: string | undefined): Learner | null {
  if (!value) return null;
  const [payload, mac] = value.split('.');
  if (!payload || !mac) return null;
  const want = Buffer.from(sign(payload));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  try {
    const l = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Learner;
    return typeof l.id === 'string' && typeof l.name === 'string' ? l : null;
  } catch {
    return null;
  }
}

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function setCookieHeader(l: Learner): string {
  return `${LEARNER_COOKIE}=${encodeLearnerCookie(l)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${ONE_YEAR_S}`;
}

const tokens = new Map<string, Promise<string>>();

/** A labd token for (learner, lab), minted once per process and re-minted after a 401. */
export function learnerToken(learner: Learner, labId: string, { fresh = false } = {}): Promise<string> {
  const key = `${learner.id}\0${labId}`;
  if (fresh) tokens.delete(key);
  let t = tokens.get(key);
  if (!t) {
    t = mintLearnerToken(learner.id, labId);
    tokens.set(key, t);
    t.catch(() => tokens.delete(key));
  }
  return t;
}

export interface Session { learner: Learner; token: string; setCookie?: string }

/**
 * The learner behind a request (from its cookie) and their token for `labId`. A request without a
 * valid cookie, or whose learner labd no longer knows, gets a new local learner and a Set-Cookie.
 */
export async function sessionFor(cookieHeader: string | null | undefined, labId: string, opts: { fresh?: boolean } = {}): Promise<Session> {
  const known = decodeLearnerCookie(readCookie(cookieHeader, LEARNER_COOKIE));
  if (known) {
    try {
      return { learner: known, token: await learnerToken(known, labId, opts) };
    } catch (e) {
      // 404/400: labd lost this learner (state dir wiped). Anything else is a real failure.
      if (!(e instanceof LabdError) || ![400, 404].includes(e.status)) throw e;
    }
  }
  const name = `learner-${randomBytes(3).toString('hex')}`;
  const created = await createLearner(name);
  const learner = { id: created.learnerId, name: created.displayName };
  return { learner, token: await learnerToken(learner, labId), setCookie: setCookieHeader(learner) };
}
