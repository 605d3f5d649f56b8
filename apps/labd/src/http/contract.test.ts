// The contract check on labd's answers, on a real HTTP server: an answer that breaks packages/api
// is refused with a 500 that names the endpoint and the field, and a good one goes out unchanged.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ENDPOINTS, parseResponse } from '@ebpf-lab/api';
import { sendError } from './errors.ts';
import { assertRoutesMatchContract, checkAnswer, checkResponsesFor, reply, requestOf } from './contract.ts';
import { openSse } from './sse.ts';

let server: Server;
let base: string;
const view = {
  labId: 'hello-ebpf',
  instanceId: null,
  state: 'down',
  driver: 'netns',
  nodes: [],
  steps: [{ id: 's1', title: 'S', status: 'pending', attempts: 0, lastMessage: null }],
};

const exported = {
  class: { id: 'c1', name: 'C', code: 'ABC123', createdAt: '2026-01-01T00:00:00Z', endedAt: null },
  exportedAt: '2026-01-01T01:00:00Z',
  rows: [
    {
      learner: 'Ann',
      learnerId: 'l1',
      lesson: 'hello',
      lab: 'hello-ebpf',
      step: 's1',
      status: 'pass',
      attempts: 2,
      firstPassAt: null,
      firstPassAfterS: null,
      lastMessage: null,
    },
  ],
};

/** The events of a stream until labd ends it: [event name, data] pairs. */
async function events(path: string): Promise<[string, unknown][]> {
  const text = await (await fetch(`${base}${path}`)).text();
  return text
    .split('\n\n')
    .filter((b) => b.includes('data: '))
    .map((b) => {
      const name = /^event: (.*)$/m.exec(b)?.[1] ?? 'message';
      return [name, JSON.parse(/^data: (.*)$/m.exec(b)![1]!)];
    });
}

before(async () => {
  checkResponsesFor(true);
  server = createServer((req, res) => {
    const go = async () => {
      if (req.url === '/good') return reply(res, 'GET /v1/lab', view as never);
      // A field renamed by mistake, as a refactor of LabManager.view might do.
      if (req.url === '/broken') return reply(res, 'GET /v1/lab', { ...view, state: 'running', nodes: undefined } as never);
      if (req.url === '/export') {
        // A row whose attempts came out as text, as a change to the export's SQL might make it.
        checkAnswer('GET /v1/classes/export', { ...exported, rows: [{ ...exported.rows[0]!, attempts: '2' }] } as never);
        return res.end('not reached');
      }
      if (req.url === '/lab-events') {
        const sse = openSse(req, res, 'GET /v1/lab/events');
        sse.send('message', { phase: 'machine', message: 'starting', fraction: 0.1 });
        // The message went missing (as `message: v.error` with no error would make it).
        sse.send('message', { phase: 'error' });
        sse.send('message', { phase: 'never', message: 'sent after the stream ended' });
        // Ends the stream either way, so a missing check fails the test rather than hanging it.
        return sse.end();
      }
      if (req.url === '/class-events') {
        const sse = openSse(req, res, 'GET /v1/classes/events');
        sse.send('ended', { classId: 'c1', endedAt: '2026-01-01T00:00:00Z' });
        sse.send('rooster' as never, {});
        return sse.end();
      }
      const body = await requestOf(req, 'POST /v1/lab/build');
      reply(res, 'GET /v1/policy', { trustLearners: false, exposed: null, maxLabs: 1, maxLabsPerLearner: 1, maxLearners: body.tool.length });
    };
    go().catch((e: unknown) => sendError(res, e));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  checkResponsesFor(undefined);
});

test('an answer that matches the contract goes out as it is, with the status of the endpoint', async () => {
  const r = await fetch(`${base}/good`);
  assert.equal(r.status, 200);
  assert.deepEqual(parseResponse('GET /v1/lab', await r.json()), view);
});

test('an answer that breaks the contract is a 500 naming the endpoint and each bad field', async () => {
  const r = await fetch(`${base}/broken`);
  assert.equal(r.status, 500);
  const body = (await r.json()) as { error: string };
  assert.match(body.error, /GET \/v1\/lab/);
  assert.match(body.error, /state:/);
  assert.match(body.error, /nodes:/);
});

test('a request body that breaks the contract is a 400 naming the field and what to do', async () => {
  const r = await fetch(`${base}/build`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tool: '../etc' }) });
  assert.equal(r.status, 400);
  const body = (await r.json()) as { error: string; hint: string; field: string };
  assert.equal(body.field, 'tool');
  assert.match(body.error, /tool: a tool folder name/);
  assert.ok(body.hint);
});

test('the web side catches it too: parseResponse names the field of a bad answer', () => {
  assert.throws(() => parseResponse('GET /v1/lab', { ...view, steps: [{ id: 's1' }] }), /steps\.0\.title/);
});

test('routes and the contract must list the same endpoints, or labd (under the check) does not start', () => {
  const all = Object.keys(ENDPOINTS);
  assertRoutesMatchContract(all);
  assert.throws(
    () => assertRoutesMatchContract([...all.filter((k) => k !== 'GET /v1/policy'), 'GET /v1/secret']),
    /routed but not in ENDPOINTS: GET \/v1\/secret; in ENDPOINTS but not routed: GET \/v1\/policy/,
  );
});

test('the export is checked before it is sent: a bad row is a 500 naming the row and field', async () => {
  const r = await fetch(`${base}/export`);
  assert.equal(r.status, 500);
  const body = (await r.json()) as { error: string };
  assert.match(body.error, /GET \/v1\/classes\/export/);
  assert.match(body.error, /rows\.0\.attempts/);
});

test('each server-sent event is checked: a bad one becomes an error event naming it, and the stream ends', async () => {
  const lab = await events('/lab-events');
  assert.deepEqual(lab[0], ['message', { phase: 'machine', message: 'starting', fraction: 0.1 }], 'a good event goes out as it is');
  assert.equal(lab.length, 2, 'nothing after the bad event');
  assert.equal(lab[1]![0], 'error');
  assert.match((lab[1]![1] as { error: string }).error, /event "message" of GET \/v1\/lab\/events: message:/);
  const cls = await events('/class-events');
  assert.deepEqual(cls[0], ['ended', { classId: 'c1', endedAt: '2026-01-01T00:00:00Z' }]);
  assert.match(
    (cls[1]![1] as { error: string }).error,
    /event "rooster" of GET \/v1\/classes\/events: .*not an event of this stream \(it has: broadcasts, roster, broadcast, ended\)/,
  );
});
