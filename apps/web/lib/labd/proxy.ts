import { labdFetch, LabdError } from './client';
import { requestRefusal } from '../request-guard';
import { clearCookieHeader, sessionFor } from './session';

const LAB_ID = /^[a-z0-9][a-z0-9-]*$/;

/** /api/lab/<lab>/<route> → labd path and the methods the browser may use on it. */
const ROUTES: Record<string, { path: string; methods: string[] }> = {
  '': { path: '/v1/lab', methods: ['GET', 'POST', 'DELETE'] },
  events: { path: '/v1/lab/events', methods: ['GET'] },
  drivers: { path: '/v1/lab/drivers', methods: ['GET'] },
  reset: { path: '/v1/lab/reset', methods: ['POST'] },
  checks: { path: '/v1/lab/checks', methods: ['POST'] },
  files: { path: '/v1/lab/files', methods: ['GET', 'PUT'] },
  build: { path: '/v1/lab/build', methods: ['POST'] },
  doctor: { path: '/v1/doctor', methods: ['GET'] },
};

function json(status: number, body: unknown, setCookie?: string): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  if (setCookie) headers.append('set-cookie', setCookie);
  return new Response(JSON.stringify(body), { status, headers });
}

/** No learner behind this request (no cookie, or its session ended): the page makes one with POST /api/learner. */
const noLearner = () => json(401, { error: 'no learner yet', hint: 'open the lesson page to start a lab', reason: 'no-learner' }, clearCookieHeader());

/**
 * The browser's only way to labd: checks the route, attaches the learner's token (never sent to
 * the browser), forwards body and query, and streams the answer back. A 401 from labd (token lost,
 * e.g. labd's store reset) re-mints once. It never makes a learner (POST /api/learner does).
 */
export async function proxyLabRequest(req: Request, params: { lab: string; rest?: string[] }): Promise<Response> {
  const route = ROUTES[(params.rest ?? []).join('/')];
  if (!LAB_ID.test(params.lab) || !route) return json(404, { error: 'no such lab API route' });
  if (!route.methods.includes(req.method)) return json(405, { error: `${req.method} is not allowed here` });
  const refused = requestRefusal(req.method, req.headers);
  if (refused) return json(refused.status, { error: refused.message });

  const body = req.method === 'GET' ? null : await req.arrayBuffer();
  const query = new URL(req.url).searchParams.toString();
  const contentType = req.headers.get('content-type') ?? undefined;
  try {
    let session = await sessionFor(req.headers.get('cookie'), params.lab);
    if (!session) return noLearner();
    const call = (token: string) => labdFetch(route.path, { method: req.method, token, body, contentType, query, signal: req.signal });
    let res = await call(session.token);
    if (res.status === 401) {
      await res.body?.cancel();
      session = await sessionFor(req.headers.get('cookie'), params.lab, { fresh: true });
      if (!session) return noLearner();
      res = await call(session.token);
    }
    const headers = new Headers({ 'cache-control': 'no-store' });
    for (const h of ['content-type', 'content-length']) {
      const v = res.headers.get(h);
      if (v) headers.set(h, v);
    }
    if (route.path.endsWith('/events')) headers.set('x-accel-buffering', 'no');
    return new Response(res.body, { status: res.status, headers });
  } catch (e) {
    if (e instanceof LabdError) return json(e.status, { error: e.message, hint: e.hint });
    if ((e as Error).name === 'AbortError') return new Response(null, { status: 499 });
    console.error('labd proxy:', e);
    return json(500, { error: 'the web server could not reach labd', hint: (e as Error).message });
  }
}
