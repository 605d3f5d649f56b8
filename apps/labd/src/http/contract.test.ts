// The contract check on labd's answers, on a real HTTP server: an answer that breaks packages/api
// is refused with a 500 that names the endpoint and the field, and a good one goes out unchanged.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ENDPOINTS, parseResponse } from '@ebpf-lab/api';
import { sendError } from './errors.ts';
import { assertRoutesMatchContract, checkResponsesFor, reply, requestOf } from './contract.ts';

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

before(async () => {
  checkResponsesFor(true);
  server = createServer((req, res) => {
    const go = async () => {
      if (req.url === '/good') return reply(res, 'GET /v1/lab', view as never);
      // A field renamed by mistake, as a refactor of LabManager.view might do.
      if (req.url === '/broken') return reply(res, 'GET /v1/lab', { ...view, state: 'running', nodes: undefined } as never);
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
