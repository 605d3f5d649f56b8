// labd's outer surface against the real daemon: where it listens (--host, ELAB_HOST), which
// origins get CORS headers, and GET /v1/doctor. No lab is started, so no root is needed for most.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { release } from 'node:os';
import { after, before, test } from 'node:test';
import { parseResponse } from '@ebpf-lab/api';
import { call, isRoot, learner, startLabd, WEB_ORIGIN, type LabdProcess } from '../test-support/labd-harness.ts';

let labd: LabdProcess;
let ann: { learnerId: string; token: string };

before(async () => {
  labd = await startLabd();
  ann = await learner(labd, 'Ann');
});
after(async () => {
  await labd.stop();
});

/** The addresses a labd process listens on, from the kernel's socket table. */
function listening(pid: number): string[] {
  const ss = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' });
  return ss
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => l.trim().split(/\s+/)[3]!);
}

test(
  '--host binds the address given (and only it); ELAB_HOST does too; the flag wins over the env',
  { skip: !isRoot && "ss shows other users' pids to root only" },
  async () => {
    const cases: [string, { args?: string[]; env?: NodeJS.ProcessEnv }, string][] = [
      ['--host 127.0.0.2', { args: ['--host', '127.0.0.2'] }, '127.0.0.2'],
      ['ELAB_HOST=127.0.0.3', { env: { ELAB_HOST: '127.0.0.3' } }, '127.0.0.3'],
      ['--host over ELAB_HOST', { args: ['--host', '127.0.0.4'], env: { ELAB_HOST: '127.0.0.3' } }, '127.0.0.4'],
    ];
    for (const [what, opts, want] of cases) {
      const d = await startLabd(opts);
      try {
        assert.equal(new URL(d.url).hostname, want, `${what}: the listening line names ${want}`);
        assert.deepEqual(listening(d.proc.pid!), [`${want}:${d.port}`], what);
        assert.equal((await call(d.url, 'GET', '/v1/doctor')).status, 401, `${what}: it answers there`);
      } finally {
        await d.stop();
      }
    }
  },
);

test('CORS: the allowed web origin gets its own origin back and a preflight; any other origin gets no CORS header', async () => {
  const pre = await call(labd.url, 'OPTIONS', '/v1/lab/files?path=x', null, undefined, { origin: WEB_ORIGIN, 'access-control-request-method': 'PUT' });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), WEB_ORIGIN);
  assert.match(pre.headers.get('access-control-allow-methods') ?? '', /\bPUT\b/);
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /\bauthorization\b/);
  assert.match(pre.headers.get('vary') ?? '', /Origin/);

  const get = await call(labd.url, 'GET', '/v1/lab', ann.token, undefined, { origin: WEB_ORIGIN });
  assert.equal(get.status, 200);
  assert.equal(get.headers.get('access-control-allow-origin'), WEB_ORIGIN, 'the answer itself carries the header');

  for (const origin of ['https://evil.example', 'http://127.0.0.1:3001', 'null']) {
    const p = await call(labd.url, 'OPTIONS', '/v1/lab/files?path=x', null, undefined, { origin, 'access-control-request-method': 'PUT' });
    assert.notEqual(p.status, 204, `${origin}: no preflight`);
    assert.equal(p.headers.get('access-control-allow-origin'), null, `${origin}: no CORS on the preflight`);
    const g = await call(labd.url, 'GET', '/v1/lab', ann.token, undefined, { origin });
    assert.equal(g.headers.get('access-control-allow-origin'), null, `${origin}: no CORS on the answer`);
    assert.equal(g.headers.get('access-control-allow-credentials'), null);
  }
  const none = await call(labd.url, 'GET', '/v1/lab', ann.token);
  assert.equal(none.headers.get('access-control-allow-origin'), null, 'no Origin, no CORS header');
});

test('GET /v1/doctor: a token is needed; the report names this kernel and says what fails and how to fix it', async () => {
  assert.equal((await call(labd.url, 'GET', '/v1/doctor')).status, 401);
  const r = await call(labd.url, 'GET', '/v1/doctor', ann.token);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.kernel, release(), 'the running kernel');
  const items = r.body.items as { name: string; ok: boolean | null; detail: string; fix?: string }[];
  const names = items.map((i) => i.name);
  for (const n of ['bpf', 'tracepoint', 'kprobe', 'xdp']) assert.ok(names.includes(n), `${n} is reported: ${names.join(' ')}`);
  for (const i of items) {
    assert.ok(i.ok === true || i.ok === false || i.ok === null, `${i.name}: ok is true, false or unknown`);
    assert.ok(i.detail, `${i.name} says what it found`);
    if (i.ok === false) assert.ok(i.fix, `${i.name} fails and says how to fix it`);
  }
  // Tracepoints work on every kernel this project supports; if root, the bpf syscall does too.
  assert.equal(items.find((i) => i.name === 'tracepoint')!.ok, true, JSON.stringify(items));
  if (isRoot) assert.equal(items.find((i) => i.name === 'bpf')!.ok, true, JSON.stringify(items));
  assert.equal((await call(labd.url, 'GET', '/v1/doctor', labd.serviceToken)).status, 200, 'the web asks with the service token');
});

/** One raw request with the Host header given (fetch will not send a chosen Host). */
function withHost(url: string, path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest(
      { hostname: u.hostname, port: u.port, path, headers: { host, authorization: `Bearer ${labd.serviceToken}`, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('Host allowlist: its own address and loopback names with its port are served; any other Host gets 421 naming --allowed-hosts', async () => {
  for (const host of [`127.0.0.1:${labd.port}`, `localhost:${labd.port}`, `[::1]:${labd.port}`]) {
    assert.equal((await withHost(labd.url, '/v1/policy', host)).status, 200, host);
  }
  for (const host of ['evil.example', `evil.example:${labd.port}`, '127.0.0.1:1', `127.0.0.1.evil.example:${labd.port}`]) {
    const r = await withHost(labd.url, '/v1/policy', host);
    assert.equal(r.status, 421, `${host}: ${r.text}`);
    assert.match(r.text, /--allowed-hosts/);
  }
  // The terminal WebSocket is checked the same way, before its token or origin.
  const ws = await withHost(labd.url, '/v1/terminal', 'evil.example', {
    connection: 'upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  });
  assert.equal(ws.status, 421, ws.text);

  const named = await startLabd({ args: ['--allowed-hosts', 'lab.example.org,labd.internal:7000'] });
  try {
    assert.equal((await withHost(named.url, '/v1/policy', 'lab.example.org')).status, 401, 'a listed name passes on to the token check');
    assert.equal((await withHost(named.url, '/v1/policy', 'labd.internal:7000')).status, 401);
    assert.equal((await withHost(named.url, '/v1/policy', 'labd.internal:7001')).status, 421, 'a listed port is the only one');
  } finally {
    await named.stop();
  }
});

test('live answers match packages/api, the contract the web parses them with', async () => {
  // The harness runs labd with ELAB_CHECK_RESPONSES=1, so a broken answer would already be a 500;
  // parsing here as well proves what the web receives is what the schema says.
  const svc = labd.serviceToken;
  const l = await call(labd.url, 'POST', '/v1/learners', svc, { displayName: 'Contract' });
  assert.equal(l.status, 201, l.text);
  const created = parseResponse('POST /v1/learners', l.body);
  const t = await call(labd.url, 'POST', '/v1/tokens', svc, { learnerId: created.learnerId, labId: 'hello-ebpf', session: created.session });
  assert.equal(t.status, 201, t.text);
  const token = parseResponse('POST /v1/tokens', t.body).token;
  const answers = [
    ['GET /v1/policy', await call(labd.url, 'GET', '/v1/policy', svc)],
    ['GET /v1/lab', await call(labd.url, 'GET', '/v1/lab', token)],
    ['GET /v1/lab/drivers', await call(labd.url, 'GET', '/v1/lab/drivers', token)],
    ['GET /v1/doctor', await call(labd.url, 'GET', '/v1/doctor', token)],
    ['DELETE /v1/learners/session', await call(labd.url, 'DELETE', '/v1/learners/session', svc, { session: created.session })],
  ] as const;
  for (const [key, r] of answers) {
    assert.equal(r.status, 200, `${key}: ${r.text}`);
    parseResponse(key, r.body);
  }
  // An error answer has the contract's shape too: what was wrong and what to do.
  const bad = await call(labd.url, 'POST', '/v1/learners', svc, { displayName: '' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.field, 'displayName', bad.text);
  assert.ok(bad.body.error && bad.body.hint, bad.text);
});
