/**
 * The terminal handoff end to end, with real processes: labd (root, a real netns lab), a web-like
 * child process running the web's own forwarding code (e2e/support/terminal-child.ts), and a
 * WebSocket client in this process as the browser. Who holds the browser's connection is read
 * with `ss -p`, independently of the code under test.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeFrame, encodeText, Op } from '@ebpf-lab/protocol';
import WebSocket from 'ws';
import { downLabs, repoRoot, startLabd, tempStateDir, type Proc } from '../../e2e/harness';

const skip = process.getuid?.() !== 0 && 'needs root (labd makes network namespaces)';
const ORIGIN = 'http://127.0.0.1:3000';
const until = async (what: string, pred: () => boolean | Promise<boolean>, ms = 30_000) => {
  for (const end = Date.now() + ms; !(await pred()); await new Promise((r) => setTimeout(r, 100)))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
};

interface Labd {
  proc: Proc;
  url: string;
  pid: number;
  stateDir: string;
  token: string;
}
async function labdWithLab(env: Record<string, string> = {}): Promise<Labd> {
  const stateDir = tempStateDir();
  const proc = await startLabd(stateDir, ORIGIN, env);
  const service = readFileSync(join(stateDir, 'service-token'), 'utf8').trim();
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await fetch(`${proc.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const { learnerId } = await call('POST', '/v1/learners', service, { displayName: 'Ann' });
  const { token } = await call('POST', '/v1/tokens', service, { learnerId, labId: 'hello-ebpf' });
  await call('POST', '/v1/lab', token);
  await until('the lab to be ready', async () => (await call('GET', '/v1/lab', token)).state === 'ready', 120_000);
  return { proc, url: proc.url, pid: proc.proc.pid!, stateDir, token };
}

interface Child {
  proc: ChildProcess;
  port: number;
  /** fd in the child of the connection from this client port, as the child printed it */
  fdOf(clientPort: number): Promise<number>;
}
async function child(labd: Labd, handoff = true): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'apps/web/e2e/support/terminal-child.ts')], {
    env: { ...process.env, CHILD_LABD_URL: labd.url, CHILD_TOKEN: labd.token, CHILD_ORIGIN: ORIGIN, CHILD_HANDOFF: handoff ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  await until('the child web to listen', () => /listening \d+/.test(out));
  return {
    proc,
    port: Number(/listening (\d+)/.exec(out)![1]),
    async fdOf(clientPort) {
      await until(`the child to see port ${clientPort}`, () => new RegExp(`conn ${clientPort} \\d+`).test(out));
      return Number(new RegExp(`conn ${clientPort} (\\d+)`).exec(out)![1]);
    },
  };
}

/** The pids holding the server end (local port `server`, peer port `peer`) of a loopback TCP connection. */
function holders(server: number, peer: number): number[] {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${server} and dport = :${peer} )`], { encoding: 'utf8' });
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])).sort();
}

/** How often process `pid`'s main thread (the one running JavaScript and libuv's loop) has been woken. */
function wakeups(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]) + Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]);
}
const ROUNDS = 40;

/** A browser's terminal: WebSocket to the child web, Output text collected. */
async function terminal(port: number, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { origin: ORIGIN, headers });
  let text = '';
  ws.on('message', (d: Buffer) => {
    const f = decodeFrame(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    if (f.op === Op.Output || f.op === Op.Replay) text += f.text;
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const clientPort = (ws as unknown as { _socket: Socket })._socket.localPort!;
  return {
    ws,
    clientPort,
    text: () => text,
    async echo(expr: string, want: string) {
      const from = text.length; // only what comes after: a reattach replays earlier answers
      ws.send(encodeText(Op.Input, `echo $((${expr}))\r`));
      await until(`"${want}" from the shell`, () => new RegExp(`\\D${want}\\r?\\n`).test(text.slice(from)));
    },
    /** ROUNDS commands and their answers; returns how often process `pid` was woken meanwhile. */
    async rounds(pid: number): Promise<number> {
      const w0 = wakeups(pid);
      for (let i = 0; i < ROUNDS; i++) await this.echo(`1000+${i}`, String(1000 + i));
      return wakeups(pid) - w0;
    },
  };
}

let labd: Labd;
let web: Child;
before(async () => {
  if (skip) return;
  labd = await labdWithLab();
  web = await child(labd);
});
after(async () => {
  if (skip) return;
  web?.proc.kill();
  await labd?.proc.stop();
  if (labd) downLabs(labd.stateDir);
});

test('labd takes the browser socket: the shell echoes and only labd holds the connection', { skip }, async () => {
  const t = await terminal(web.port);
  await t.echo('6*7', '42');
  // The web lets go right after labd's 204; on a loaded host that may come after the first echo.
  await until('the web to let go of the socket', () => !holders(web.port, t.clientPort).includes(web.proc.pid!));
  assert.deepEqual(holders(web.port, t.clientPort), [labd.pid], 'labd alone holds the browser connection');
  const woken = await t.rounds(web.proc.pid!);
  assert.ok(woken < ROUNDS / 4, `the web was woken ${woken} times by ${ROUNDS} commands and their output`);
  assert.deepEqual(holders(web.port, t.clientPort), [labd.pid], 'still labd alone, after more keystrokes');
  t.ws.close();
});

test('with the handoff off in the web, the web splices the same terminal', { skip }, async () => {
  const off = await child(labd, false);
  try {
    const t = await terminal(off.port);
    await t.echo('7*7', '49');
    assert.deepEqual(holders(off.port, t.clientPort), [off.proc.pid!], 'the web holds the browser connection');
    const woken = await t.rounds(off.proc.pid!);
    assert.ok(woken >= ROUNDS, `the splicing web is woken by every command and its output (${woken} times by ${ROUNDS})`);
    t.ws.close();
  } finally {
    off.proc.kill();
  }
});

/** Another client's idle connection to `web`: the socket a forged handoff would name, and what reached it. */
async function victimOf(web: Child) {
  const socket = connect(web.port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d.toString()));
  await new Promise((r) => socket.once('connect', r));
  return { socket, fd: await web.fdOf(socket.localPort!), received: () => received };
}

test("a client's own handoff header is dropped by the web, so it cannot name another socket in the web", { skip }, async () => {
  const off = await child(labd, false); // handoff off: the web would forward the client's header as it is
  const victim = await victimOf(off);
  try {
    const t = await terminal(off.port, { 'x-elab-handoff': `${off.proc.pid}:${victim.fd}` });
    await t.echo('5*9', '45');
    assert.equal(victim.received(), '', 'nothing of labd reached the other connection');
    assert.deepEqual(holders(off.port, victim.socket.localPort!), [off.proc.pid!], 'the other connection stays the web’s');
    t.ws.close();
  } finally {
    victim.socket.destroy();
    off.proc.kill();
  }
});

/** An upgrade straight to labd's terminal from this process, with a handoff header; resolves with its status line. */
function upgradeToLabd(handoff: string): Promise<string> {
  const s = connect(Number(new URL(labd.url).port), '127.0.0.1');
  const key = Buffer.from('0123456789abcdef').toString('base64');
  s.write(
    `GET /v1/terminal HTTP/1.1\r\nHost: ${new URL(labd.url).host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nOrigin: ${ORIGIN}\r\nAuthorization: Bearer ${labd.token}\r\nx-elab-handoff: ${handoff}\r\n\r\n`,
  );
  return new Promise((resolve, reject) => {
    s.once('data', (d) => {
      resolve(d.toString().split('\r\n')[0]!);
      s.destroy();
    });
    s.once('error', reject);
  });
}

test('a handoff naming a socket of a process that did not send the request is not honoured: labd answers the request itself', { skip }, async () => {
  const victim = await victimOf(web);
  try {
    assert.match(await upgradeToLabd(`${web.proc.pid}:${victim.fd}`), /^HTTP\/1\.1 101 /, 'a 101 on the requesting connection, as without a handoff');
    assert.match(labd.proc.output(), new RegExp(`handoff refused.*process ${web.proc.pid} does not hold the connection`));
    assert.equal(victim.received(), '', "nothing of labd's reached the named socket");
    assert.deepEqual(holders(web.port, victim.socket.localPort!), [web.proc.pid!]);
  } finally {
    victim.socket.destroy();
  }
});

test('a refusal after the web offered the socket still frees it in the web when the browser leaves', { skip }, async () => {
  const gone = await child({ ...labd, url: 'http://127.0.0.1:1' }); // nothing listens: the web answers 502
  try {
    const s = connect(gone.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const ino = execFileSync('ss', ['-Htne', `( sport = :${gone.port} and dport = :${s.localPort} )`], { encoding: 'utf8' }).match(/ino:(\d+)/)![1];
    const answer = new Promise<string>((r) => s.once('data', (d) => r(d.toString())));
    s.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${gone.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\nOrigin: ${ORIGIN}\r\n\r\n`,
    );
    assert.match(await answer, /^HTTP\/1\.1 502 /);
    s.end();
    const held = () => execFileSync('ls', ['-l', `/proc/${gone.proc.pid}/fd`], { encoding: 'utf8' }).includes(`socket:[${ino}]`);
    await until('the web to close its socket', () => !held());
  } finally {
    gone.proc.kill();
  }
});

test('labd without the addon: the web offers, labd declines, and the web splices', { skip }, async () => {
  const bare = await labdWithLab({ ELAB_PIDFD_ADDON: '/nonexistent/pidfd.node' });
  const w = await child(bare);
  try {
    const t = await terminal(w.port);
    await t.echo('9*9', '81');
    assert.deepEqual(holders(w.port, t.clientPort), [w.proc.pid!], 'the web holds (splices) the browser connection');
    assert.match(bare.proc.output(), /terminal handoff refused, the web splices instead: \/nonexistent\/pidfd\.node is not built/);
    t.ws.close();
  } finally {
    w.proc.kill();
    await bare.proc.stop();
    downLabs(bare.stateDir);
  }
});
