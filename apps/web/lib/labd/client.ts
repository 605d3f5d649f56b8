import { labdEnv, serviceToken } from './env';

/** An error answer from labd ({error, hint?}) or labd being unreachable (status 502). */
export class LabdError extends Error {
  constructor(readonly status: number, message: string, readonly hint?: string) {
    super(message);
    this.name = 'LabdError';
  }
}

export interface LabdRequest { method?: string; token: string; body?: BodyInit | null; contentType?: string; signal?: AbortSignal; query?: string }

/** One HTTP call to labd. Returns the raw response (callers stream events and file bytes). */
export async function labdFetch(path: string, req: LabdRequest): Promise<Response> {
  const url = `${labdEnv().labdUrl}${path}${req.query ? `?${req.query}` : ''}`;
  const headers: Record<string, string> = { authorization: `Bearer ${req.token}` };
  if (req.contentType) headers['content-type'] = req.contentType;
  try {
    return await fetch(url, { method: req.method ?? 'GET', headers, body: req.body ?? null, signal: req.signal, cache: 'no-store', duplex: 'half' } as RequestInit);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new LabdError(502, `labd is not reachable at ${labdEnv().labdUrl}: ${(e as Error).message}`, 'start it with scripts/start.sh');
  }
}

/** labd's error answer as a LabdError: its JSON `{error, hint}`, or the body as it is when not JSON. */
export async function errorOf(res: Response): Promise<LabdError> {
  const text = await res.text().catch(() => '');
  try {
    const j = JSON.parse(text) as { error?: string; hint?: string };
    return new LabdError(res.status, j.error ?? text, j.hint);
  } catch {
    return new LabdError(res.status, text || res.statusText);
  }
}

/** One JSON call to labd (a body, if any, sent as JSON); any answer but 2xx throws a LabdError. */
export async function labdJson<T>(path: string, token: string, init: { method?: string; body?: unknown; query?: string } = {}): Promise<T> {
  const res = await labdFetch(path, {
    method: init.method ?? 'GET', token, query: init.query,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body), contentType: 'application/json' } : {}),
  });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

const serviceCall = <T>(path: string, body: unknown): Promise<T> => labdJson<T>(path, serviceToken(), { method: 'POST', body });

export interface CreatedLearner { learnerId: string; displayName: string; session: string; expiresAt: string }

/** A new learner and its first session; `client` is the browser's address, for labd's per-client rate. */
export function createLearner(displayName: string, client?: string): Promise<CreatedLearner> {
  return serviceCall('/v1/learners', { displayName, ...(client ? { client } : {}) });
}

/** A lab token that lives only as long as the learner session it is minted through. */
export async function mintLearnerToken(learnerId: string, labId: string, session: string): Promise<string> {
  return (await serviceCall<{ token: string }>('/v1/tokens', { learnerId, labId, session })).token;
}
