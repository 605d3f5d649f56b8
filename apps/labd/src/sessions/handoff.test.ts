import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '../test-support/labd-harness.ts';
import { handoffTaker, loadPidfdAddon, type HandoffResult } from './handoff.ts';
import { addressBytes, handoffProcessProblem, holdsSocket, tcpInode } from './socket-owner.ts';

const ADDON = join(repoRoot, 'apps/labd/native/pidfd.node');
const fdOf = (s: Socket) => (s as unknown as { _handle: { fd: number } })._handle.fd;
const once = <T>(e: { once(ev: string, f: (v: T) => void): unknown }, ev: string) => new Promise<T>((r) => e.once(ev, r));

/** A connected loopback pair in this process: `server` is the accepted end. */
async function pair(): Promise<{ client: Socket; server: Socket; close(): void }> {
  const srv = createTcpServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const accepted = once<Socket>(srv, 'connection');
  const client = connect((srv.address() as AddressInfo).port, '127.0.0.1');
  const [server] = await Promise.all([accepted, once(client, 'connect')]);
  return { client, server, close: () => (client.destroy(), server.destroy(), srv.close()) };
}

/**
 * An HTTP server whose upgrades go to a handoff taker, the way labd's terminal endpoint calls it;
 * `ask` sends an upgrade from this process naming `pid:fd` and returns what the taker decided.
 */
let http: Server;
let decided: (r: HandoffResult | null) => void;
const taker = handoffTaker(ADDON, () => {});
before(async () => {
  http = createServer();
  http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    decided(taker.attempt(req, head));
    socket.destroy();
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
});
after(() => http.close());

function ask(value: string): Promise<HandoffResult | null> {
  const r = new Promise<HandoffResult | null>((resolve) => (decided = resolve));
  const port = (http.address() as AddressInfo).port;
  const req = request({ port, host: '127.0.0.1', headers: { connection: 'Upgrade', upgrade: 'websocket', 'x-elab-handoff': value } });
  req.on('error', () => {});
  req.end();
  return r;
}

test('addresses as Node prints them and as /proc/net/tcp lists them compare alike', () => {
  assert.equal(addressBytes('127.0.0.1')!.toString('hex'), '00000000000000000000ffff7f000001');
  assert.deepEqual(addressBytes('::ffff:127.0.0.1'), addressBytes('127.0.0.1'));
  assert.equal(addressBytes('::1')!.toString('hex'), `${'0'.repeat(30)}01`);
  assert.equal(addressBytes('fe80::1:2%lo')!.toString('hex'), 'fe800000000000000000000000010002');
  assert.equal(addressBytes('not an address'), null);
});

test('the process holding a loopback connection is found from its two ends; another process is not', async () => {
  const p = await pair();
  const local = { address: '127.0.0.1', port: p.client.localPort! };
  const remote = { address: '127.0.0.1', port: p.client.remotePort! };
  const inode = tcpInode(local, remote);
  assert.ok(inode, 'the client end is listed');
  assert.notEqual(tcpInode(remote, local), inode, 'the server end is a socket of its own');
  assert.equal(tcpInode({ address: '127.0.0.2', port: local.port }, remote), null, 'the address counts, not only the ports');
  assert.ok(holdsSocket(process.pid, inode!));
  const sleeper = spawn('sleep', ['30']);
  try {
    assert.equal(holdsSocket(sleeper.pid!, inode!), false);
  } finally {
    sleeper.kill();
  }
  p.close();
});

test('a missing addon is a reason, never a throw', () => {
  assert.match(String(loadPidfdAddon('/nonexistent/pidfd.node')), /not built.*npm run build:labd/);
});

test('labd takes a connected stream socket the requesting process names, and it is the same connection', async () => {
  assert.equal(typeof loadPidfdAddon(ADDON), 'object', `the addon must be built (npm run build:labd): ${String(loadPidfdAddon(ADDON))}`);
  const p = await pair();
  const r = await ask(`${process.pid}:${fdOf(p.server)}`);
  assert.ok(r && 'socket' in r, `taken, not: ${JSON.stringify(r)}`);
  const got = once<Buffer>(p.client, 'data');
  r.socket.write('through the copy');
  assert.equal((await got).toString(), 'through the copy');
  r.socket.destroy();
  p.close();
});

test("a Unix socket is refused: only a TCP connection (a browser's) is ever copied", async () => {
  // A process's private channel (to a daemon, say) is a connected stream socket too.
  const path = join(repoRoot, `.handoff-test-${process.pid}.sock`);
  const unixServer = createTcpServer().listen(path);
  await once(unixServer, 'listening');
  const accepted = once<Socket>(unixServer, 'connection');
  const c = connect(path);
  const [server] = await Promise.all([accepted, once(c, 'connect')]);
  try {
    assert.match(((await ask(`${process.pid}:${fdOf(server)}`)) as { refused: string }).refused, /not a TCP socket/);
  } finally {
    c.destroy();
    server.destroy();
    unixServer.close();
  }
});

test('a process raised by setuid/setgid, or not running Node as the web does, may not hand over sockets', async () => {
  assert.equal(handoffProcessProblem(process.pid), null, 'this test process (Node, plain root) may');
  // Real uid root, effective uid nobody: the mixed ids of a setuid program.
  const mixed = spawn(process.execPath, ['-e', 'process.seteuid(65534); setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
  const other = spawn('sleep', ['10'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.match(String(handoffProcessProblem(mixed.pid!)), /mixed Uids/);
    assert.match(String(handoffProcessProblem(other.pid!)), /runs .*sleep, not /);
  } finally {
    mixed.kill('SIGKILL');
    other.kill('SIGKILL');
  }
});

test('a file, a listening socket, a malformed value and a dead pid are refused', async () => {
  const file = openSync('/etc/hostname', 'r');
  const listening = createTcpServer().listen(0, '127.0.0.1');
  await once(listening, 'listening');
  try {
    const notSocket = await ask(`${process.pid}:${file}`);
    assert.match((notSocket as { refused: string }).refused, /not a socket/);
    const lfd = (listening as unknown as { _handle: { fd: number } })._handle.fd;
    assert.match(((await ask(`${process.pid}:${lfd}`)) as { refused: string }).refused, /not a connected stream socket/);
    assert.match(((await ask('12:x')) as { refused: string }).refused, /not <pid>:<fd>/);
    assert.match(((await ask('999999999:3')) as { refused: string }).refused, /pidfd_open/);
  } finally {
    closeSync(file);
    listening.close();
  }
});

test('a pid that does not hold the connection the request came on is refused, though it holds the socket named', async () => {
  // Another process with a connected socket of its own: the one a forged handoff would steal.
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      `const net = require('node:net');
       const s = net.createServer((c) => process.stdout.write(c._handle.fd + '\\n')).listen(0, '127.0.0.1', () => net.connect(s.address().port, '127.0.0.1'));
       setTimeout(() => {}, 60000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const fd = Number((await once<Buffer>(child.stdout!, 'data')).toString().trim());
    const r = await ask(`${child.pid}:${fd}`);
    assert.ok(r && 'refused' in r, `refused, not taken: ${JSON.stringify(r && ('socket' in r ? 'a socket' : r))}`);
    assert.match(r.refused, new RegExp(`process ${child.pid} does not hold the connection`));
  } finally {
    child.kill();
  }
});
