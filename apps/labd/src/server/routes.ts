import { z } from 'zod';
import { doctor } from '../doctor.ts';
import { checkSteps } from '../engine.ts';
import type { Store } from '../store/store.ts';
import { MAX_FILE_BYTES } from '../workdir.ts';
import { guards } from './auth.ts';
import { DisplayName } from '@ebpf-lab/lab-spec';
import type { Policy } from './policy.ts';
import { RateLimiter } from './rate-limit.ts';
import { buildTool, TOOL_NAME } from './build.ts';
import { HttpError, readBody, readJson, Router, sendJson } from './http.ts';
import { isFinal, type LabManager } from './lab-manager.ts';

/** Who the web is acting for: the browser's address, for per-client limits (never a credential). */
export const ClientField = z.string().min(1).max(100).optional();
const LearnerBody = z.object({ displayName: DisplayName, client: ClientField });
const TokenBody = z.object({ learnerId: z.string().min(1).max(64), labId: z.string().min(1).max(100), session: z.string().min(1).max(100).optional() });
const SessionBody = z.object({ session: z.string().min(1).max(100) });
/** New learners per client address: enough for a classroom behind one NAT, not for a flood. */
const NEW_LEARNERS_PER_CLIENT = 30;
const NEW_LEARNER_WINDOW_MS = 10 * 60_000;
/** One per labd: POST /v1/learners and class joins draw on the same allowance. */
export const newLearnerLimiter = () => new RateLimiter(NEW_LEARNERS_PER_CLIENT, NEW_LEARNER_WINDOW_MS);
const StepBody = z.object({ step: z.string().min(1).max(100).optional() });
/** Any name: one the lab does not run on is refused by LabManager with the allowed list. */
const DriverField = z.string().min(1).max(40).optional();
const StartBody = z.object({ driver: DriverField }).passthrough();
const ResetBody = StepBody.extend({ driver: DriverField });
const BuildBody = z.object({ tool: z.string().regex(TOOL_NAME, 'a tool folder name under bpf/, e.g. "hello"') });

/** SSE comments keep proxies from closing a quiet stream while a slow lab starts. */
const SSE_HEARTBEAT_MS = 15_000;

function pathParam(url: URL): string {
  const p = url.searchParams.get('path');
  if (!p) throw new HttpError(400, 'missing ?path=', 'give a path relative to the lab workdir, e.g. ?path=bpf/hello/hello.bpf.c');
  return p;
}

/** Every endpoint of docs/api.md. Handlers stay thin: the work is in LabManager, the engine and build.ts. */
export function apiRoutes(store: Store, manager: LabManager, policy: Policy, newLearners = newLearnerLimiter()): Router {
  const auth = guards(store);
  const r = new Router();

  r.add('POST', '/v1/learners', auth.service, async ({ req, res }) => {
    const body = await readJson(req, LearnerBody);
    const l = createLearnerFor(store, policy, newLearners, body.displayName, body.client);
    sendJson(res, 201, { learnerId: l.id, displayName: l.displayName, ...store.openLearnerSession(l.id, policy.learnerSessionMs) });
  });

  // Ends a browser session: its cookie stops working and the lab tokens minted through it die.
  r.add('DELETE', '/v1/learners/session', auth.service, async ({ req, res }) => {
    const body = await readJson(req, SessionBody);
    sendJson(res, 200, { ended: store.endLearnerSession(body.session) });
  });

  // The web asks at start whether labd knows it is served beyond loopback (web/lib/exposure.ts).
  r.add('GET', '/v1/policy', auth.service, async ({ res }) => {
    const { trustLearners, exposed, maxLabs, maxLabsPerLearner, maxLearners } = policy;
    sendJson(res, 200, { trustLearners, exposed, maxLabs, maxLabsPerLearner, maxLearners });
  });

  r.add('POST', '/v1/tokens', auth.service, async ({ req, res }) => {
    const body = await readJson(req, TokenBody);
    if (!store.getLearner(body.learnerId)) throw new HttpError(404, `no learner "${body.learnerId}"`, 'create one with POST /v1/learners');
    if (body.session !== undefined && store.learnerOfSession(body.session) !== body.learnerId) {
      throw new HttpError(401, 'this learner session has ended or expired', 'start again from the lesson page (a new session comes with POST /v1/learners or a class join)', { reason: 'session' });
    }
    manager.lab({ kind: 'learner', learnerId: body.learnerId, labId: body.labId });
    sendJson(res, 201, { token: store.mintLearnerToken(body.learnerId, body.labId, body.session) });
  });

  r.add('GET', '/v1/lab', auth.learner, async ({ res }, p) => sendJson(res, 200, await manager.view(p)));

  r.add('POST', '/v1/lab', auth.learner, async ({ req, res }, p) => {
    const body = await readJson(req, StartBody);
    await manager.start(p, body.driver);
    sendJson(res, 200, await manager.view(p));
  });

  r.add('DELETE', '/v1/lab', auth.learner, async ({ res }, p) => {
    await manager.stop(p);
    sendJson(res, 200, await manager.view(p));
  });

  r.add('GET', '/v1/lab/drivers', auth.learner, async ({ res }, p) => sendJson(res, 200, await manager.drivers.list(manager.lab(p))));

  r.add('GET', '/v1/lab/events', auth.learner, async ({ req, res }, p) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (x: object) => res.write(`data: ${JSON.stringify(x)}\n\n`);
    let done = false;
    const finish = () => { if (!done) { done = true; clearInterval(beat); sub.unsubscribe(); res.end(); } };
    const beat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    const sub = manager.subscribe(p, (x) => { send(x); if (isFinal(x)) finish(); });
    req.on('close', finish);
    for (const x of sub.past) send(x);
    if (sub.past.some(isFinal)) return finish();
    if (sub.active) return;
    // Nothing starting: one event says where the lab stands, then the stream ends.
    const v = await manager.view(p);
    if (v.state === 'ready') send({ phase: 'ready', message: 'lab ready', fraction: 1 });
    else if (v.state === 'error') send({ phase: 'error', message: v.error });
    else send({ phase: 'down', message: 'the lab is not running; start it with POST /v1/lab' });
    finish();
  });

  r.add('POST', '/v1/lab/reset', auth.learner, async ({ req, res }, p) => {
    const body = await readJson(req, ResetBody);
    await manager.reset(p, body.step, body.driver);
    sendJson(res, 200, await manager.view(p));
  });

  r.add('POST', '/v1/lab/checks', auth.learner, async ({ req, res }, p) => {
    const body = await readJson(req, StepBody);
    const run = await manager.ready(p);
    if (body.step && !run.lab.steps.some((s) => s.id === body.step)) {
      throw new HttpError(404, `lab "${p.labId}" has no step "${body.step}"`, `steps: ${run.lab.steps.map((s) => s.id).join(', ')}`);
    }
    const results = await manager.withInstance(run, () => checkSteps(run.inst, run.lab, body.step));
    store.recordChecks(p.learnerId, p.labId, run.inst.state.id, results);
    sendJson(res, 200, results.map((x) => ({ step: x.step, status: x.status, message: x.message, expected: x.expected, actual: x.actual, ms: x.ms })));
  });

  r.add('GET', '/v1/lab/files', auth.learner, async ({ res, url }, p) => {
    const path = pathParam(url);
    const { inst } = await manager.ready(p);
    const data = await inst.readFile(path);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length, 'cache-control': 'no-store' });
    res.end(data);
  });

  r.add('PUT', '/v1/lab/files', auth.learner, async ({ req, res, url }, p) => {
    const path = pathParam(url);
    // Read (bounded) before anything else: an oversized body is refused with 413 as it arrives.
    const data = await readBody(req, MAX_FILE_BYTES, 'file');
    const { inst } = await manager.ready(p);
    await inst.writeFile(path, data);
    res.writeHead(204).end();
  });

  r.add('POST', '/v1/lab/build', auth.learner, async ({ req, res }, p) => {
    const body = await readJson(req, BuildBody);
    const run = await manager.ready(p);
    sendJson(res, 200, await manager.withInstance(run, () => buildTool(run.inst, body.tool)));
  });

  r.add('GET', '/v1/doctor', auth.any, async ({ res }) => sendJson(res, 200, await doctor()));

  return r;
}

/**
 * A new learner, within the limits: `client` (the browser's address, as the web saw it) may make
 * NEW_LEARNERS_PER_CLIENT a window, and labd holds at most policy.maxLearners in all.
 */
export function createLearnerFor(store: Store, policy: Policy, limiter: RateLimiter, displayName: string, client: string | undefined) {
  const key = client ?? 'service';
  if (client && limiter.blocked(key)) {
    throw new HttpError(429, 'too many new learners from this address', `try again in ${limiter.retryAfterS(key)} s`, { reason: 'learner-rate', retryAfterS: limiter.retryAfterS(key) });
  }
  if (store.learnerCount() >= policy.maxLearners) {
    throw new HttpError(503, `this server has reached its limit of ${policy.maxLearners} learners`, 'the operator can raise ELAB_MAX_LEARNERS', { reason: 'learner-limit' });
  }
  if (client) limiter.hit(key);
  return store.createLearner(displayName);
}
