// Fuzz every labd WebSocket endpoint (terminal, follow) with oversized, malformed and truncated
// frames from one client, and prove labd keeps serving another: its terminal still echoes and
// HTTP still answers. Bounded: a few hundred frames per endpoint, a few seconds each.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { call, downAllLabs, isRoot, learner, startLabd, Term, upLab, WEB_ORIGIN, type LabdProcess } from '../test-support/labd-harness.ts';

const skip = !isRoot && 'needs root (real netns labs)';
let labd: LabdProcess;
let ann: { learnerId: string; token: string };
let bob: { learnerId: string; token: string };
let instructor: string;
let classId: string;
let victim: Term;

before(async () => {
  if (skip) return;
  labd = await startLabd(); // with --trust-learners: two learners on netns

  ann = await learner(labd, 'Ann');
  bob = await learner(labd, 'Bob');
  await upLab(labd, ann.token);
  await upLab(labd, bob.token);
  instructor = readFileSync(join(labd.stateDir, 'instructor-token'), 'utf8').trim();
  const c = await call(labd.url, 'POST', '/v1/classes', instructor, { name: 'fuzz', lessons: [{ slug: 'hello-ebpf', title: 'Hello', labId: 'hello-ebpf' }] });
  classId = c.body.classId;
  const j = await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code: c.body.code, displayName: 'Bob', learnerId: bob.learnerId });
  assert.equal(j.status, 201, j.text);
  victim = await Term.open(labd.url, '', { token: ann.token });
});

after(async () => {
  if (skip) return;
  victim?.ws.terminate();
  await labd.stop();
  downAllLabs(labd.stateDir);
});

/** A raw TCP socket that has done the WebSocket handshake, so it can write any bytes at all. */
function rawSocket(path: string, token: string): Promise<Socket> {
  const { port } = new URL(labd.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1');
    let got = '';
    s.once('error', reject);
    s.on('data', function onData(c: Buffer) {
      got += c.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      s.off('data', onData);
      if (!got.startsWith('HTTP/1.1 101')) return reject(new Error(`handshake refused: ${got.split('\r\n')[0]}`));
      s.on('data', () => {}); // drain whatever labd sends back (close frames)
      resolve(s);
    });
    s.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Origin: ${WEB_ORIGIN}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
  });
}

/** A client frame header (masked unless told otherwise) declaring `len` payload bytes. */
function header(opcode: number, len: number, { fin = true, mask = true } = {}): Buffer {
  const b0 = (fin ? 0x80 : 0) | opcode;
  const m = mask ? 0x80 : 0;
  let h: Buffer;
  if (len < 126) h = Buffer.from([b0, m | len]);
  else if (len < 65536) {
    h = Buffer.alloc(4);
    h[0] = b0;
    h[1] = m | 126;
    h.writeUInt16BE(len, 2);
  } else {
    h = Buffer.alloc(10);
    h[0] = b0;
    h[1] = m | 127;
    h.writeBigUInt64BE(BigInt(len), 2);
  }
  return mask ? Buffer.concat([h, randomBytes(4)]) : h;
}

/** The hostile inputs: random bytes, huge declared lengths, unmasked, bad opcodes, truncated frames. */
function hostile(i: number, maxPayload: number): Buffer {
  switch (i % 8) {
    case 0:
      return randomBytes(1 + ((i * 37) % 300));
    case 1:
      return header(2, maxPayload + 1 + i); // declares too much: refused from the header alone
    case 2:
      return header(2, 2 ** 53 - 1); // an absurd length
    case 3:
      return Buffer.concat([header(2, 10, { mask: false }), randomBytes(10)]); // clients must mask
    case 4:
      return Buffer.concat([header(3 + (i % 5), 4), randomBytes(4)]); // reserved opcodes
    case 5:
      return Buffer.concat([header(2, 200), randomBytes(50)]); // truncated, then the socket ends
    case 6:
      return Buffer.concat([header(9, 200), randomBytes(200)]); // a control frame over 125 bytes
    default:
      return Buffer.concat([header(1, 4), randomBytes(4)]); // a text frame of random (mostly invalid UTF-8) bytes
  }
}

async function fuzz(path: string, token: string, maxPayload: number, n: number): Promise<void> {
  for (let i = 0; i < n; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, n - i) }, async (_, k) => {
        const s = await rawSocket(path, token);
        const closed = new Promise<void>((r) => {
          s.on('close', () => r());
          s.on('error', () => r());
        });
        s.end(hostile(i + k, maxPayload));
        await closed;
      }),
    );
  }
  // And the plain case through a real client: one message one byte over the limit.
  const ws = new WebSocket(`${labd.url.replace(/^http/, 'ws')}${path}`, { origin: WEB_ORIGIN, headers: { authorization: `Bearer ${token}` } });
  ws.on('error', () => {});
  await new Promise((r) => ws.once('open', r));
  ws.send(Buffer.alloc(maxPayload + 1));
  const [code, reason] = await new Promise<[number, string]>((r) => ws.once('close', (c, why) => r([c, why.toString()])));
  assert.equal(code, 1009, 'an oversized frame closes that socket with 1009 (message too big)');
  assert.match(reason, /over the \d+-byte limit/);
}

async function stillServing(marker: string): Promise<void> {
  assert.equal(labd.proc.exitCode, null, `labd is still running:\n${labd.output().slice(-2000)}`);
  victim.type(`echo ${marker}-$((40+2))\r`);
  await victim.waitFor(() => victim.text().includes(`${marker}-42`), `${marker} echo in the other learner's terminal`, 30_000);
  assert.equal((await call(labd.url, 'GET', '/v1/lab', ann.token)).status, 200, 'HTTP still answers');
}

test('the terminal endpoint: hostile frames close only their own socket', { skip, timeout: 120_000 }, async () => {
  await victim.waitFor(() => victim.frames.length > 0, 'the victim terminal says hello');
  await fuzz('/v1/terminal', bob.token, 1024 * 1024, 240);
  await stillServing('TERM');
});

test('the follow endpoint: hostile frames close only their own socket', { skip, timeout: 120_000 }, async () => {
  await fuzz(`/v1/classes/follow?class=${classId}&learner=${bob.learnerId}`, instructor, 1024, 240);
  await stillServing('FOLLOW');
});
