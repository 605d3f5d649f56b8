// Browser-side calls to the web's own /api/lab routes (never to labd: the browser has no token).
// The web passes labd's answers through, so they are parsed with labd's own contract (packages/api).
import { ErrorBody, parseResponse, type JsonKey, type ResponseOf } from '@ebpf-lab/api';

export type { BuildResult, CheckResultView, Diagnostic, DriverChoice, LabView, Progress } from '@ebpf-lab/api';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function labUrl(labId: string, route = ''): string {
  return `/api/lab/${encodeURIComponent(labId)}${route ? `/${route}` : ''}`;
}

async function send(url: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) {
    const body = ErrorBody.safeParse(await res.json().catch(() => null));
    if (body.success) throw new ApiError(res.status, body.data.error, body.data.hint);
    throw new ApiError(res.status, `${res.status} ${res.statusText}`);
  }
  return res;
}

/** A JSON answer of labd's endpoint `key`, checked against its schema: a mismatch throws naming the field. */
async function call<K extends JsonKey>(key: K, url: string, init?: RequestInit): Promise<ResponseOf<K>> {
  return parseResponse(key, await (await send(url, init)).json());
}

const postJson = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A refusal as the lab panel shows it: labd's message and, when it gave one, what to do. */
export const explain = (e: Error): string => (e instanceof ApiError && e.hint ? `${e.message} (${e.hint})` : e.message);

export const labApi = {
  /**
   * The lab's state. A browser without a learner gets a 401; the page then makes its learner
   * explicitly (POST /api/learner, rate-limited by labd) and asks again. No other request makes one.
   */
  state: async (labId: string) => {
    try {
      return await call('GET /v1/lab', labUrl(labId));
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) throw e;
      await send('/api/learner', { method: 'POST' });
      return call('GET /v1/lab', labUrl(labId));
    }
  },
  stop: (labId: string) => call('DELETE /v1/lab', labUrl(labId), { method: 'DELETE' }),
  start: (labId: string, driver?: string) => call('POST /v1/lab', labUrl(labId), driver ? postJson({ driver }) : { method: 'POST' }),
  reset: (labId: string, driver?: string) => call('POST /v1/lab/reset', labUrl(labId, 'reset'), postJson(driver ? { driver } : {})),
  drivers: (labId: string) => call('GET /v1/lab/drivers', labUrl(labId, 'drivers')),
  checks: (labId: string, step?: string) => call('POST /v1/lab/checks', labUrl(labId, 'checks'), postJson(step ? { step } : {})),
  readFile: async (labId: string, path: string) => (await send(`${labUrl(labId, 'files')}?path=${encodeURIComponent(path)}`)).text(),
  writeFile: async (labId: string, path: string, text: string) => {
    await send(`${labUrl(labId, 'files')}?path=${encodeURIComponent(path)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: text,
    });
  },
  build: (labId: string, tool: string) => call('POST /v1/lab/build', labUrl(labId, 'build'), postJson({ tool })),
  doctor: (labId: string) => call('GET /v1/doctor', labUrl(labId, 'doctor')),
};
