import { ErrorBody, parseResponse, type JsonKey, type ResponseOf } from '@ebpf-lab/api';
import { labdEnv, serviceToken } from './env';

/** An error answer from labd ({error, hint?}) or labd being unreachable (status 502). */
export class LabdError extends Error {
  /** `reason` is labd's machine-readable cause, e.g. 'session' for a learner session that ended. */
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'LabdError';
  }
}

export interface LabdRequest {
  method?: string;
  token: string;
  body?: BodyInit | null;
  contentType?: string;
  signal?: AbortSignal;
  query?: string;
}

/** One HTTP call to labd. Returns the raw response (callers stream events and file bytes). */
export async function labdFetch(path: string, req: LabdRequest): Promise<Response> {
  const url = `${labdEnv().labdUrl}${path}${req.query ? `?${req.query}` : ''}`;
  const headers: Record<string, string> = { authorization: `Bearer ${req.token}` };
  if (req.contentType) headers['content-type'] = req.contentType;
  try {
    return await fetch(url, {
      method: req.method ?? 'GET',
      headers,
      body: req.body ?? null,
      signal: req.signal,
      cache: 'no-store',
      duplex: 'half',
    } as RequestInit);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new LabdError(502, `labd is not reachable at ${labdEnv().labdUrl}: ${(e as Error).message}`, 'start it with scripts/start.sh');
  }
}

/** labd's error answer as a LabdError: its JSON `{error, hint}`, or the body as it is when not JSON. */
export async function errorOf(res: Response): Promise<LabdError> {
  const text = await res.text().catch(() => '');
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: the text is the message */
  }
  const body = ErrorBody.safeParse(json);
  return body.success ? new LabdError(res.status, body.data.error, body.data.hint, body.data.reason) : new LabdError(res.status, text || res.statusText);
}

/**
 * One JSON call to labd's endpoint `key` ("METHOD /path" of packages/api; a body, if any, sent as
 * JSON). Any answer but 2xx throws a LabdError; the answer is parsed with the endpoint's schema, so
 * a labd that breaks the contract is named here, not deep in a page.
 */
export async function labdJson<K extends JsonKey>(key: K, token: string, init: { body?: unknown; query?: string } = {}): Promise<ResponseOf<K>> {
  const [method, path] = key.split(' ') as [string, string];
  const res = await labdFetch(path, {
    method,
    token,
    query: init.query,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body), contentType: 'application/json' } : {}),
  });
  if (!res.ok) throw await errorOf(res);
  return parseResponse(key, await res.json());
}

export type CreatedLearner = ResponseOf<'POST /v1/learners'>;

/** A new learner and its first session; `client` is the browser's address, for labd's per-client rate. */
export function createLearner(displayName: string, client?: string): Promise<CreatedLearner> {
  return labdJson('POST /v1/learners', serviceToken(), { body: { displayName, ...(client ? { client } : {}) } });
}

/** A lab token that lives only as long as the learner session it is minted through. */
export async function mintLearnerToken(learnerId: string, labId: string, session: string): Promise<string> {
  return (await labdJson('POST /v1/tokens', serviceToken(), { body: { learnerId, labId, session } })).token;
}
