import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FrameReader, MAX_FRAME } from './agent-frames.ts';

// On the vm driver the learner is root in the guest and can replace the exec agent behind the
// forwarded socket (review5 findings 1 and 2). These fake agents send what a hostile one could;
// labd's client runs in a child node so a crash shows as the child's exit, not this runner's.
const dir = mkdtempSync(join(tmpdir(), 'elab-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const GREETING = 'elab-agent 1\n';
const frame = (t: string, b: Buffer) => {
  const h = Buffer.alloc(5);
  h.write(t, 0);
  h.writeUInt32BE(b.length, 1);
  return Buffer.concat([h, b]);
};
const client = new URL('./agent-client.ts', import.meta.url).href;

async function childExec(sockPath: string, timeoutMs: number): Promise<{ status: number | null; out: string; ms: number }> {
  const code = `import(${JSON.stringify(client)}).then(async (m) => {
    const t = { socketPath: ${JSON.stringify(sockPath)}, reconnect: async () => {}, startAgent: async () => {} };
    const t0 = performance.now();
    try { const r = await m.agentExec(t, { cmd: 'true', cwd: '/', env: {}, timeoutMs: ${timeoutMs}, graceMs: 1000 }); console.log('RESULT', r.code, r.stdout.length); }
    catch (e) { console.log('REJECTED', e.message); }
    console.log('MS', Math.round(performance.now() - t0));
  });`;
  const ch = spawn(process.execPath, ['--import', 'tsx', '-e', code], { timeout: 120_000 });
  let out = '';
  ch.stdout.on('data', (d) => (out += d));
  ch.stderr.on('data', (d) => (out += d));
  const status = await new Promise<number | null>((res) => ch.on('exit', (c) => res(c)));
  return { status, out, ms: Number(/^MS (\d+)/m.exec(out)?.[1] ?? NaN) };
}

function hostile(name: string, onConn: (c: Socket) => void): Promise<{ path: string; close: () => void }> {
  const path = join(dir, name);
  const srv = createServer((c) => {
    c.on('error', () => {});
    onConn(c);
  });
  return new Promise((res) => srv.listen(path, () => res({ path, close: () => srv.close() })));
}

for (const [what, body] of [
  ['not JSON', 'not json'],
  ['null', 'null'],
  ['of the wrong shape', '{"code":"0"}'],
  ['an out-of-range code', '{"code":1e9}'],
] as const) {
  test(`an end frame that is ${what} fails that exec with a clear error, labd lives on`, async () => {
    const s = await hostile(`x-${what.replace(/\W/g, '')}.sock`, (c) => {
      c.write(GREETING);
      c.write(frame('o', Buffer.from('hi')));
      c.write(frame('x', Buffer.from(body)));
    });
    const r = await childExec(s.path, 20_000);
    s.close();
    assert.equal(r.status, 0, `the process running the client died: ${r.out.slice(0, 600)}`);
    assert.match(r.out, /REJECTED the lab's exec agent sent a malformed reply .*tampered with/, r.out);
  });
}

test('an unknown frame type is refused', async () => {
  const s = await hostile('type.sock', (c) => {
    c.write(GREETING);
    c.write(frame('Z', Buffer.from('?')));
  });
  const r = await childExec(s.path, 20_000);
  s.close();
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /REJECTED .*malformed reply \(unknown frame type "Z"\)/, r.out);
});

test('a frame announcing 4 GiB is refused at once, not buffered until the timeout', async () => {
  let sent = 0;
  const s = await hostile('huge.sock', (c) => {
    const h = Buffer.alloc(5);
    h.write('o', 0);
    h.writeUInt32BE(0xffffffff, 1);
    c.write(GREETING);
    c.write(h);
    const chunk = Buffer.alloc(1 << 20);
    const pump = () => {
      while (!c.destroyed && sent < 512 << 20) {
        sent += chunk.length;
        if (!c.write(chunk)) {
          c.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  const timeoutMs = 15_000;
  const r = await childExec(s.path, timeoutMs);
  s.close();
  assert.equal(r.status, 0, r.out);
  // Before the fix: it buffered (quadratically) until the timeout, then answered 137.
  assert.match(r.out, /REJECTED .*a frame of 4294967295 bytes/, `client accepted ${sent >> 20} MiB of one never-ending frame: ${r.out.trim()}`);
  assert.ok(r.ms < timeoutMs, `refused after ${r.ms} ms, not before the exec's limit`);
});

test('the frame reader: frames split anywhere, a frame over the cap refused from its header alone', () => {
  const stream = Buffer.concat([Buffer.from(GREETING), frame('o', Buffer.from('héllo')), frame('e', Buffer.alloc(0)), frame('x', Buffer.from('{"code":3}'))]);
  for (const step of [1, 2, 5, 7, stream.length]) {
    const r = new FrameReader();
    const got: string[] = [];
    let greeted = false;
    for (let i = 0; i < stream.length; i += step) {
      r.push(stream.subarray(i, i + step));
      if (!greeted) {
        if (!r.peek(GREETING.length)) continue;
        assert.equal(r.take(GREETING.length).toString(), GREETING);
        greeted = true;
      }
      for (let f = r.next(); f; f = r.next()) got.push(`${f.type}:${f.body.toString()}`);
    }
    assert.deepEqual(got, ['o:héllo', 'e:', 'x:{"code":3}'], `chunks of ${step}`);
    assert.equal(r.length, 0);
  }
  const r = new FrameReader();
  const h = Buffer.alloc(5);
  h.write('e', 0);
  h.writeUInt32BE(MAX_FRAME + 1, 1);
  r.push(h);
  assert.throws(() => r.next(), /a frame of 1048577 bytes/);
});
