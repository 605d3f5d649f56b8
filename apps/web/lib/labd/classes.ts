import type { BroadcastRequest, ClassLesson, PublicClass } from '@ebpf-lab/api';
import { errorOf, labdFetch, labdJson, LabdError } from './client';
import { serviceToken } from './env';

export type { ClassLanguage, ClassLesson, ClassListEntry, ClassSummary, PublicClass } from '@ebpf-lab/api';

/** Instructor calls: the token comes from the instructor's server-side session, never from the browser. */
export const instructorApi = {
  /** True when labd takes this token as the instructor's (a wrong one is 401, a learner's 403). */
  async verify(token: string): Promise<boolean> {
    const res = await labdFetch('/v1/classes', { token });
    if (res.ok) {
      await res.text();
      return true;
    }
    if (res.status === 401 || res.status === 403) {
      await res.text();
      return false;
    }
    throw await errorOf(res);
  },
  list: (token: string) => labdJson('GET /v1/classes', token).then((r) => r.classes),
  /** `language` unchecked here: labd validates it and its 400 names the allowed values. */
  create: (token: string, name: string, lessons: ClassLesson[], language?: string) =>
    labdJson('POST /v1/classes', token, { body: { name, lessons, ...(language ? { language } : {}) } }),
  setLanguage: (token: string, classId: string, language: string) => labdJson('POST /v1/classes/language', token, { body: { classId, language } }),
  roster: (token: string, classId: string) => labdJson('GET /v1/classes/roster', token, { query: new URLSearchParams({ class: classId }).toString() }),
  broadcast: (token: string, body: BroadcastRequest) => labdJson('POST /v1/classes/broadcast', token, { body }),
  end: (token: string, classId: string) => labdJson('POST /v1/classes/end', token, { body: { classId } }),
  /** Raw answers, streamed through to the browser as they are (SSE, CSV/JSON downloads). */
  events: (token: string, classId: string, signal: AbortSignal) =>
    labdFetch('/v1/classes/events', { token, signal, query: new URLSearchParams({ class: classId }).toString() }),
  export: (token: string, classId: string, format: 'csv' | 'json') =>
    labdFetch('/v1/classes/export', { token, query: new URLSearchParams({ class: classId, format }).toString() }),
};

/** Learner-side calls, made with the service token on behalf of the learner in the signed cookie. */
export const classApi = {
  /** The class behind a join code, or null for a wrong code; `client` is whose wrong guesses labd counts. */
  async lookup(code: string, client?: string): Promise<PublicClass | null> {
    try {
      return await labdJson('GET /v1/classes/lookup', serviceToken(), { query: new URLSearchParams({ code, ...(client ? { client } : {}) }).toString() });
    } catch (e) {
      if (e instanceof LabdError && e.status === 404) return null;
      throw e;
    }
  },
  join: (code: string, displayName: string, learnerId: string | undefined, client: string | undefined) =>
    labdJson('POST /v1/classes/join', serviceToken(), {
      body: { code, displayName, ...(learnerId ? { learnerId } : {}), ...(client ? { client } : {}) },
    }),
  events: (learnerId: string, signal: AbortSignal) =>
    labdFetch('/v1/classes/learner-events', { token: serviceToken(), signal, query: new URLSearchParams({ learner: learnerId }).toString() }),
};
