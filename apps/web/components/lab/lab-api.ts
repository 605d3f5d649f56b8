// Browser-side calls to the web's own /api/lab routes (never to labd: the browser has no token).
import type { CheckStatus } from '@ebpf-lab/check-sdk';

export type LabPhase = 'down' | 'starting' | 'ready' | 'error';
export interface StepStatus { id: string; title: string; status: string; attempts: number; lastMessage?: string | null }
export interface LabState { labId: string; instanceId: string | null; state: LabPhase; driver?: string; nodes: string[]; error?: string; steps: StepStatus[] }
/** One row of labd's GET /v1/lab/drivers. */
export interface DriverChoice { name: string; supported: boolean; ok: boolean; missing: { what: string; fix: string }[] }
export interface Progress { phase: string; message?: string; fraction?: number }
export interface CheckResultView { step: string; status: CheckStatus; message: string; expected?: string; actual?: string; ms?: number }
export interface Diagnostic { file: string; line: number; column?: number; severity: string; message: string }
export interface BuildResult { ok: boolean; stage: 'compile' | 'load' | 'done'; log: string; diagnostics: Diagnostic[] }

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly hint?: string) {
    super(message);
  }
}

export function labUrl(labId: string, route = ''): string {
  return `/api/lab/${encodeURIComponent(labId)}${route ? `/${route}` : ''}`;
}

async function call<T>(url: string, init?: RequestInit, as: 'auto' | 'text' = 'auto'): Promise<T> {
  const res = await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; hint?: string };
    throw new ApiError(res.status, body.error ?? `${res.status} ${res.statusText}`, body.hint);
  }
  if (res.status === 204) return undefined as T;
  return as === 'auto' && (res.headers.get('content-type') ?? '').includes('json') ? ((await res.json()) as T) : ((await res.text()) as T);
}

/** labd may describe nodes as names or as objects with a name; the UI only needs names. */
function normalize(raw: LabState & { nodes: unknown[] }): LabState {
  const nodes = (raw.nodes ?? []).map((n) => (typeof n === 'string' ? n : String((n as { name?: string }).name ?? n)));
  return { ...raw, nodes };
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
      return normalize(await call(labUrl(labId)));
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) throw e;
      await call('/api/learner', { method: 'POST' });
      return normalize(await call(labUrl(labId)));
    }
  },
  stop: async (labId: string) => normalize(await call(labUrl(labId), { method: 'DELETE' })),
  start: async (labId: string, driver?: string) => normalize(await call(labUrl(labId), driver ? postJson({ driver }) : { method: 'POST' })),
  reset: async (labId: string, driver?: string) => normalize(await call(labUrl(labId, 'reset'), postJson(driver ? { driver } : {}))),
  drivers: (labId: string) => call<DriverChoice[]>(labUrl(labId, 'drivers')),
  checks: (labId: string, step?: string) => call<CheckResultView[]>(labUrl(labId, 'checks'), postJson(step ? { step } : {})),
  readFile: (labId: string, path: string) => call<string>(`${labUrl(labId, 'files')}?path=${encodeURIComponent(path)}`, undefined, 'text'),
  writeFile: (labId: string, path: string, text: string) =>
    call<void>(`${labUrl(labId, 'files')}?path=${encodeURIComponent(path)}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: text }),
  build: (labId: string, tool: string) => call<BuildResult>(labUrl(labId, 'build'), postJson({ tool })),
  doctor: (labId: string) => call<unknown>(labUrl(labId, 'doctor')),
};
