import { labdFetch, LabdError } from './client';
import { serviceToken } from './env';

/** A class's lesson as labd keeps it (labId null: a reading-only lesson). */
export interface ClassLesson { slug: string; title: string; labId: string | null }
export interface ClassSummary { classId: string; name: string; code: string; joinPath: string; lessons: ClassLesson[]; createdAt: string; endedAt: string | null; members?: number }
export interface PublicClass { classId: string; name: string; lessons: ClassLesson[]; ended: boolean }

async function errorOf(res: Response): Promise<LabdError> {
  const text = await res.text().catch(() => '');
  try {
    const j = JSON.parse(text) as { error?: string; hint?: string };
    return new LabdError(res.status, j.error ?? text, j.hint);
  } catch {
    return new LabdError(res.status, text || res.statusText);
  }
}

async function jsonCall<T>(path: string, token: string, init: { method?: string; body?: unknown; query?: string } = {}): Promise<T> {
  const res = await labdFetch(path, {
    method: init.method ?? 'GET', token, query: init.query,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body), contentType: 'application/json' } : {}),
  });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** Instructor calls: the token comes from the instructor's server-side session, never from the browser. */
export const instructorApi = {
  /** True when labd takes this token as the instructor's (a wrong one is 401, a learner's 403). */
  async verify(token: string): Promise<boolean> {
    const res = await labdFetch('/v1/classes', { token });
    if (res.ok) { await res.text(); return true; }
    if (res.status === 401 || res.status === 403) { await res.text(); return false; }
    throw await errorOf(res);
  },
  list: (token: string) => jsonCall<{ classes: ClassSummary[] }>('/v1/classes', token).then((r) => r.classes),
  create: (token: string, name: string, lessons: ClassLesson[]) => jsonCall<ClassSummary>('/v1/classes', token, { method: 'POST', body: { name, lessons } }),
  roster: (token: string, classId: string) => jsonCall<unknown>('/v1/classes/roster', token, { query: new URLSearchParams({ class: classId }).toString() }),
  broadcast: (token: string, body: { classId: string; message?: string; goto?: { lesson: string; step?: string } }) => jsonCall<unknown>('/v1/classes/broadcast', token, { method: 'POST', body }),
  end: (token: string, classId: string) => jsonCall<{ reaped: string[]; errors: string[]; endedAt: string }>('/v1/classes/end', token, { method: 'POST', body: { classId } }),
  /** Raw answers, streamed through to the browser as they are (SSE, CSV/JSON downloads). */
  events: (token: string, classId: string, signal: AbortSignal) => labdFetch('/v1/classes/events', { token, signal, query: new URLSearchParams({ class: classId }).toString() }),
  export: (token: string, classId: string, format: 'csv' | 'json') => labdFetch('/v1/classes/export', { token, query: new URLSearchParams({ class: classId, format }).toString() }),
};

/** Learner-side calls, made with the service token on behalf of the learner in the signed cookie. */
export const classApi = {
  /** The class behind a join code, or null for a wrong code. */
  async lookup(code: string): Promise<PublicClass | null> {
    try {
      return await jsonCall<PublicClass>('/v1/classes/lookup', serviceToken(), { query: new URLSearchParams({ code }).toString() });
    } catch (e) {
      if (e instanceof LabdError && e.status === 404) return null;
      throw e;
    }
  },
  join: (code: string, displayName: string, learnerId?: string) =>
    jsonCall<PublicClass & { learnerId: string; displayName: string }>('/v1/classes/join', serviceToken(), { method: 'POST', body: { code, displayName, ...(learnerId ? { learnerId } : {}) } }),
  events: (learnerId: string, signal: AbortSignal) => labdFetch('/v1/classes/learner-events', { token: serviceToken(), signal, query: new URLSearchParams({ learner: learnerId }).toString() }),
};
