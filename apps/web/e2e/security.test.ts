// The web refuses what issue #9 found it accepting, against the production server and a real
// labd (no browser needed): a DNS-rebinding Host, cookie-less learner floods, one client's wrong
// join codes locking out another, CR/LF display names, cookies without Secure over HTTPS, a web
// served beyond loopback that labd does not know about, and hostile terminal frames.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { encodeText, Op } from '@ebpf-lab/protocol';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { downLabs, freePort, startLabd, startWeb, tempStateDir, serviceTokenFile } from './harness';
import { webStack } from './support/stack';

const skip = process.getuid?.() !== 0 && 'needs root (labd, netns labs)';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One raw HTTP request: any Host, any source address on loopback (a different "client"). */
function http(url: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: string; from?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: opts.headers, ...(opts.from ? { localAddress: opts.from } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('web security', { skip }, () => {
  const fx = webStack();
  let origin = '';
  let host = '';
  before(() => {
    ({ origin, host } = fx);
  });
  const learners = () => {
    const db = new Database(join(fx.stateDir, 'labd.db'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM learners').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('refuses the DNS-rebinding request (Host evil.test, matching Origin) before any route runs', async () => {
    const before = learners();
    const evil = { host: 'evil.test:3000', origin: 'http://evil.test:3000', 'content-type': 'application/json' };
    for (const [method, path] of [
      ['POST', '/api/learner'],
      ['POST', '/api/lab/hello-ebpf'],
      ['PUT', '/api/lab/hello-ebpf/files?path=Makefile'],
      ['POST', '/api/lab/hello-ebpf/build'],
      ['GET', '/en'],
      ['POST', '/instructor/api/session'],
    ] as const) {
      const r = await http(fx.web.url, method, path, { headers: evil, body: method === 'GET' ? undefined : '{}' });
      assert.equal(r.status, 421, `${method} ${path}: ${r.status} ${r.body}`);
      assert.match(r.body, /does not answer for host "evil.test:3000"/);
    }
    const upgrade = await http(fx.web.url, 'GET', '/api/lab/terminal?lab=hello-ebpf', {
      headers: { ...evil, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': randomBytes(16).toString('base64'), 'sec-websocket-version': '13' },
    });
    assert.equal(upgrade.status, 421, 'the terminal upgrade too');
    assert.equal(learners(), before, 'no learner was made');
    const foreign = await http(fx.web.url, 'POST', '/api/learner', { headers: { host, origin: 'http://evil.test' } });
    assert.equal(foreign.status, 403, 'our Host with a foreign Origin is a cross-site write');
  });

  it('cookie-less floods make no learners; the explicit POST is limited per client', async () => {
    const before = learners();
    const floods = await Promise.all(
      Array.from({ length: 200 }, (_, i) => http(fx.web.url, i % 2 ? 'POST' : 'GET', '/api/lab/hello-ebpf', { headers: { host, origin } })),
    );
    assert.ok(
      floods.every((r) => r.status === 401),
      `every cookie-less lab call is a 401: ${[...new Set(floods.map((r) => r.status))]}`,
    );
    assert.equal(learners(), before, '200 cookie-less requests made no learner');
    const made: number[] = [];
    for (let i = 0; i < 200; i++) made.push((await http(fx.web.url, 'POST', '/api/learner', { headers: { host, origin }, from: '127.0.0.9' })).status);
    assert.equal(made.filter((s) => s === 201).length, 30, 'one client makes 30 learners');
    assert.equal(learners(), before + 30, 'and the learners table grew by exactly that');
    const other = await http(fx.web.url, 'POST', '/api/learner', { headers: { host, origin }, from: '127.0.0.10' });
    assert.equal(other.status, 201, 'another client is not limited by the first');
  });

  it('a learner session ends on DELETE /api/learner; its cookie is worthless after', async () => {
    const made = await http(fx.web.url, 'POST', '/api/learner', { headers: { host, origin }, from: '127.0.0.11' });
    const cookie = String(made.headers['set-cookie']![0]).split(';')[0]!;
    assert.match(String(made.headers['set-cookie']), /Max-Age=(\d+)/);
    assert.ok(Number(/Max-Age=(\d+)/.exec(String(made.headers['set-cookie']))![1]) <= 31 * 86400, 'not a year');
    assert.equal((await http(fx.web.url, 'GET', '/api/lab/hello-ebpf', { headers: { host, cookie } })).status, 200);
    assert.equal((await http(fx.web.url, 'DELETE', '/api/learner', { headers: { host, origin, cookie } })).status, 200);
    assert.equal((await http(fx.web.url, 'GET', '/api/lab/hello-ebpf', { headers: { host, cookie } })).status, 401, 'the ended session is refused');
  });

  it('wrong join codes from client A do not lock out client B; CR/LF names are refused', async () => {
    const instructor = readFileSync(join(fx.stateDir, 'instructor-token'), 'utf8').trim();
    const c = await fetch(`${fx.labd.url}/v1/classes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${instructor}` },
      body: JSON.stringify({ name: 'sec', lessons: [{ slug: 'hello-ebpf', title: 'Hello', labId: 'hello-ebpf' }] }),
    });
    const code = ((await c.json()) as { code: string }).code;
    const enter = (from: string, joinCode: string, name = 'Ann') =>
      http(fx.web.url, 'POST', '/join/api/enter', {
        headers: { host, origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ code: joinCode, name }).toString(),
        from,
      });
    for (let i = 0; i < 30; i++) assert.match(String((await enter('127.0.0.2', `WRONG${i}`)).headers.location), /No%20class%20has%20this%20code/);
    const a = await enter('127.0.0.2', code);
    assert.match(decodeURIComponent(String(a.headers.location)), /too many wrong join codes/, 'client A is locked out');
    const b = await enter('127.0.0.3', code);
    assert.equal(b.status, 303);
    assert.match(String(b.headers.location), /^\/en\//, 'client B joins and goes to the first lesson');
    assert.match(String(b.headers['set-cookie']), /elab_learner=/);
    const crlf = await enter('127.0.0.3', code, 'Ann\r\nBob');
    assert.match(decodeURIComponent(String(crlf.headers.location)), /printable text only/);
  });

  it('the terminal proxy survives hostile frames and resets; the web keeps answering', { timeout: 120_000 }, async () => {
    const step = (what: string) => console.error(`# ${new Date().toISOString()} ${what}`);
    const made = await http(fx.web.url, 'POST', '/api/learner', { headers: { host, origin }, from: '127.0.0.12' });
    const cookie = String(made.headers['set-cookie']![0]).split(';')[0]!;
    assert.equal((await http(fx.web.url, 'POST', '/api/lab/hello-ebpf', { headers: { host, origin, cookie } })).status, 200);
    for (let i = 0; i < 120 && JSON.parse((await http(fx.web.url, 'GET', '/api/lab/hello-ebpf', { headers: { host, cookie } })).body).state !== 'ready'; i++)
      await new Promise((r) => setTimeout(r, 500));
    step('lab ready');
    const wsUrl = `${fx.web.url.replace(/^http/, 'ws')}/api/lab/terminal?lab=hello-ebpf`;
    const open = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(wsUrl, { origin, headers: { cookie } });
        ws.on('error', reject);
        ws.on('open', () => resolve(ws));
      });
    const big = await open();
    step('terminal open');
    big.send(Buffer.alloc(1024 * 1024 + 1));
    assert.equal(await new Promise((r) => big.on('close', (code) => r(code))), 1009, 'labd closes the oversized frame with 1009, through the splice');
    step('1009 seen');
    // Raw sockets that reset mid-handshake or write garbage after it.
    const { port } = new URL(fx.web.url);
    const pendingRaw = new Map<number, string>();
    const dbg = setInterval(() => step(`pending raw: ${[...pendingRaw].map(([k, v]) => `${k}:${v}`).join(' ')}`), 10_000);
    await Promise.all(
      Array.from(
        { length: 60 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const s = connect(Number(port), '127.0.0.1');
            pendingRaw.set(i, 'open');
            s.on('data', (d: Buffer) => pendingRaw.set(i, `${pendingRaw.get(i)}+${d.toString('latin1').slice(0, 12).replace(/\W/g, '_')}`));
            s.on('end', () => pendingRaw.set(i, `${pendingRaw.get(i)}+END`));
            s.on('error', () => {
              pendingRaw.delete(i);
              resolve();
            });
            s.on('close', () => {
              pendingRaw.delete(i);
              resolve();
            });
            s.write(
              `GET /api/lab/terminal?lab=hello-ebpf HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nCookie: ${cookie}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
            );
            if (i % 3 === 0) s.resetAndDestroy();
            else
              setTimeout(() => {
                s.write(randomBytes(200));
                if (i % 3 === 1) s.resetAndDestroy();
                else s.end();
              }, 50);
          }),
      ),
    );
    clearInterval(dbg);
    step('raw sockets done');
    assert.equal(fx.web.proc.exitCode, null, 'the web is still running');
    const again = await open();
    let out = '';
    again.on('message', (d: Buffer) => {
      out += d.toString('latin1');
    });
    await new Promise((r) => setTimeout(r, 500));
    again.send(encodeText(Op.Input, 'echo SPLICE-$((40+2))\r'));
    for (let i = 0; i < 100 && !out.includes('SPLICE-42'); i++) await new Promise((r) => setTimeout(r, 100));
    again.close();
    assert.ok(out.includes('SPLICE-42'), `a new terminal still echoes through the web: ${out.slice(-300)}`);
    assert.equal((await http(fx.web.url, 'GET', '/api/lab/hello-ebpf', { headers: { host, cookie } })).status, 200, 'HTTP still answers');
    assert.equal((await http(fx.web.url, 'DELETE', '/api/lab/hello-ebpf', { headers: { host, origin, cookie } })).status, 200, 'the learner stops the lab');
  });
});

describe('web settings', { skip }, () => {
  it('HTTPS origin → Secure cookies; a web served beyond loopback refuses to start while labd thinks it is loopback-only', async () => {
    const stateDir = tempStateDir();
    const port = await freePort();
    const secureOrigin = `https://localhost:${port}`;
    // labd's default policy (no --trust-learners): it must stop a web served beyond loopback.
    const labd = await startLabd(stateDir, secureOrigin, {}, 0, { trustLearners: false });
    try {
      const web = await startWeb({ ELAB_LABD_URL: labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(stateDir), ELAB_WEB_ORIGIN: secureOrigin }, port);
      try {
        const r = await http(web.url, 'POST', '/api/learner', { headers: { host: `localhost:${port}`, origin: secureOrigin } });
        assert.equal(r.status, 201, r.body);
        assert.match(String(r.headers['set-cookie']), /; Secure/, 'the learner cookie is Secure');
      } finally {
        await web.stop();
      }
      const exposed = startWeb({ ELAB_LABD_URL: labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(stateDir), ELAB_WEB_ORIGIN: 'https://lab.example.org' });
      exposed.then(
        (w) => w.stop(),
        () => {},
      ); // should it start after all, it must not outlive the test
      await assert.rejects(
        exposed,
        /refusing to serve: the web is served at https:\/\/lab.example.org, beyond loopback, but labd believes it is served on loopback only/,
      );
    } finally {
      await labd.stop();
      downLabs(stateDir);
    }
  });
});
