import { doctor } from '../doctor.ts';
import { checkSteps } from '../engine.ts';
import type { Store } from '../store/store.ts';
import { MAX_FILE_BYTES } from '../workdir.ts';
import { guards } from '../http/auth.ts';
import type { Policy } from '../core/policy.ts';
import type { RateLimiter } from '../core/rate-limit.ts';
import { buildTool } from '../core/build.ts';
import { createLearnerFor, newLearnerLimiter } from '../core/learners.ts';
import { Invalid, NotFound, Unauthorized } from '../errors.ts';
import { reply, requestOf } from '../http/contract.ts';
import { readBody, Router } from '../http/http.ts';
import { openSse } from '../http/sse.ts';
import { isFinal, type LabManager } from '../core/lab-manager.ts';

function pathParam(url: URL): string {
  const p = url.searchParams.get('path');
  if (!p) throw new Invalid('path', 'missing ?path=', 'give a path relative to the lab workdir, e.g. ?path=bpf/hello/hello.bpf.c');
  return p;
}

/** Every endpoint of docs/api.md. Handlers stay thin: the work is in LabManager, the engine and build.ts. */
export function apiRoutes(store: Store, manager: LabManager, policy: Policy, newLearners = newLearnerLimiter()): Router {
  const auth = guards(store);
  const r = new Router();

  r.add('POST', '/v1/learners', auth.service, async ({ req, res }) => {
    const body = await requestOf(req, 'POST /v1/learners');
    const l = createLearnerFor(store, policy, newLearners, body.displayName, body.client);
    reply(res, 'POST /v1/learners', { learnerId: l.id, displayName: l.displayName, ...store.openLearnerSession(l.id, policy.learnerSessionMs) });
  });

  // Ends a browser session: its cookie stops working and the lab tokens minted through it die.
  r.add('DELETE', '/v1/learners/session', auth.service, async ({ req, res }) => {
    const body = await requestOf(req, 'DELETE /v1/learners/session');
    reply(res, 'DELETE /v1/learners/session', { ended: store.endLearnerSession(body.session) });
  });

  // The web asks at start whether labd knows it is served beyond loopback (web/lib/exposure.ts).
  r.add('GET', '/v1/policy', auth.service, async ({ res }) => {
    const { trustLearners, exposed, maxLabs, maxLabsPerLearner, maxLearners } = policy;
    reply(res, 'GET /v1/policy', { trustLearners, exposed, maxLabs, maxLabsPerLearner, maxLearners });
  });

  r.add('POST', '/v1/tokens', auth.service, async ({ req, res }) => {
    const body = await requestOf(req, 'POST /v1/tokens');
    if (!store.getLearner(body.learnerId)) throw new NotFound(`no learner "${body.learnerId}"`, 'create one with POST /v1/learners');
    if (body.session !== undefined && store.learnerOfSession(body.session) !== body.learnerId) {
      throw new Unauthorized(
        'this learner session has ended or expired',
        'start again from the lesson page (a new session comes with POST /v1/learners or a class join)',
        { reason: 'session' },
      );
    }
    manager.lab({ kind: 'learner', learnerId: body.learnerId, labId: body.labId });
    reply(res, 'POST /v1/tokens', { token: store.mintLearnerToken(body.learnerId, body.labId, body.session) });
  });

  r.add('GET', '/v1/lab', auth.learner, async ({ res }, p) => reply(res, 'GET /v1/lab', await manager.view(p)));

  r.add('POST', '/v1/lab', auth.learner, async ({ req, res }, p) => {
    const body = await requestOf(req, 'POST /v1/lab');
    await manager.start(p, body.driver);
    reply(res, 'POST /v1/lab', await manager.view(p));
  });

  r.add('DELETE', '/v1/lab', auth.learner, async ({ res }, p) => {
    await manager.stop(p);
    reply(res, 'DELETE /v1/lab', await manager.view(p));
  });

  r.add('GET', '/v1/lab/drivers', auth.learner, async ({ res }, p) => reply(res, 'GET /v1/lab/drivers', await manager.drivers.list(manager.lab(p))));

  r.add('GET', '/v1/lab/events', auth.learner, async ({ req, res }, p) => {
    const sse = openSse(req, res, 'GET /v1/lab/events');
    const send = (x: unknown) => sse.send('message', x);
    const finish = () => sse.end();
    const sub = manager.subscribe(p, (x) => {
      send(x);
      if (isFinal(x)) finish();
    });
    void sse.closed.then(() => sub.unsubscribe());
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
    const body = await requestOf(req, 'POST /v1/lab/reset');
    await manager.reset(p, body.step, body.driver);
    reply(res, 'POST /v1/lab/reset', await manager.view(p));
  });

  r.add('POST', '/v1/lab/checks', auth.learner, async ({ req, res }, p) => {
    const body = await requestOf(req, 'POST /v1/lab/checks');
    const run = await manager.ready(p);
    if (body.step && !run.lab.steps.some((s) => s.id === body.step)) {
      throw new NotFound(`lab "${p.labId}" has no step "${body.step}"`, `steps: ${run.lab.steps.map((s) => s.id).join(', ')}`);
    }
    const results = await manager.withInstance(run, () => checkSteps(run.inst, run.lab, body.step));
    store.recordChecks(p.learnerId, p.labId, run.inst.state.id, results);
    reply(
      res,
      'POST /v1/lab/checks',
      results.map((x) => ({ step: x.step, status: x.status, message: x.message, expected: x.expected, actual: x.actual, ms: x.ms })),
    );
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
    const body = await requestOf(req, 'POST /v1/lab/build');
    const run = await manager.ready(p);
    reply(res, 'POST /v1/lab/build', await manager.withInstance(run, () => buildTool(run.inst, body.tool)));
  });

  r.add('GET', '/v1/doctor', auth.any, async ({ res }) => reply(res, 'GET /v1/doctor', await doctor()));

  return r;
}
