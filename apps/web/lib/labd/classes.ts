import type { ClassLanguage, ClassLesson, Roster } from '@ebpf-lab/lab-spec';
import { errorOf, labdFetch, labdJson, LabdError } from './client';
import { serviceToken } from './env';

export type { ClassLanguage, ClassLesson };
export interface ClassSummary { classId: string; name: string; code: string; language: ClassLanguage; joinPath: string; lessons: ClassLesson[]; createdAt: string; endedAt: string | null; members?: number }
export interface PublicClass { classId: string; name: string; language: ClassLanguage; lessons: ClassLesson[]; ended: boolean }

/** Instructor calls: the token comes from the instructor's server-side session, never from the browser. */
export const instructorApi = {
  /** True when labd takes this token as the instructor's (a wrong one is 401, a learner's 403). */
  async verify(token: string): Promise<boolean> {
    const res = await labdFetch('/v1/classes', { token });
    if (res.ok) { await res.text(); return true; }
    if (res.status === 401 || res.status === 403) { await res.text(); return false; }
    throw await errorOf(res);
  },
  list: (token: string) => labdJson<{ classes: ClassSummary[] }>('/v1/classes', token).then((r) => r.classes),
  /** `language` unchecked here: labd validates it and its 400 names the allowed values. */
  create: (token: string, name: string, lessons: ClassLesson[], language?: string) => labdJson<ClassSummary>('/v1/classes', token, { method: 'POST', body: { name, lessons, ...(language ? { language } : {}) } }),
  setLanguage: (token: string, classId: string, language: string) => labdJson<ClassSummary>('/v1/classes/language', token, { method: 'POST', body: { classId, language } }),
  roster: (token: string, classId: string) => labdJson<Roster>('/v1/classes/roster', token, { query: new URLSearchParams({ class: classId }).toString() }),
  broadcast: (token: string, body: { classId: string; message?: string; goto?: { lesson: string; step?: string } }) => labdJson<unknown>('/v1/classes/broadcast', token, { method: 'POST', body }),
  end: (token: string, classId: string) => labdJson<{ reaped: string[]; errors: string[]; endedAt: string }>('/v1/classes/end', token, { method: 'POST', body: { classId } }),
  /** Raw answers, streamed through to the browser as they are (SSE, CSV/JSON downloads). */
  events: (token: string, classId: string, signal: AbortSignal) => labdFetch('/v1/classes/events', { token, signal, query: new URLSearchParams({ class: classId }).toString() }),
  export: (token: string, classId: string, format: 'csv' | 'json') => labdFetch('/v1/classes/export', { token, query: new URLSearchParams({ class: classId, format }).toString() }),
};

/** Learner-side calls, made with the service token on behalf of the learner in the signed cookie. */
export const classApi = {
  /** The class behind a join code, or null for a wrong code; `client` is whose wrong guesses labd counts. */
  async lookup(code: string, client?: string): Promise<PublicClass | null> {
    try {
      return await labdJson<PublicClass>('/v1/classes/lookup', serviceToken(), { query: new URLSearchParams({ code, ...(client ? { client } : {}) }).toString() });
    } catch (e) {
      if (e instanceof LabdError && e.status === 404) return null;
      throw e;
    }
  },
  join: (code: string, displayName: string, learnerId: string | undefined, client: string | undefined) =>
    labdJson<PublicClass & { learnerId: string; displayName: string; session: string; expiresAt: string; stoppedLabs?: string[] }>('/v1/classes/join', serviceToken(), {
      method: 'POST', body: { code, displayName, ...(learnerId ? { learnerId } : {}), ...(client ? { client } : {}) },
    }),
  events: (learnerId: string, signal: AbortSignal) => labdFetch('/v1/classes/learner-events', { token: serviceToken(), signal, query: new URLSearchParams({ learner: learnerId }).toString() }),
};
