import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode, decodeFrame, FlowControl, Op, RECORDER_LIMIT_CHARS, type Frame } from '@ebpf-lab/protocol';
import type { Pty } from '../drivers/types.ts';
import { Recorder, safeCut } from './recorder.ts';
import { SessionRegistry } from './registry.ts';
import { FOLLOWER_LAG_LIMIT, TerminalSession, type Role, type Sink } from './terminal-session.ts';

class FakePty implements Pty {
  readonly pid = 4242;
  written: string[] = [];
  paused = false;
  killed: string[] = [];
  size = { cols: 80, rows: 24 };
  private dataCb: (d: string) => void = () => {};
  private exitCb: (e: { exitCode: number }) => void = () => {};
  onData(cb: (d: string) => void) {
    this.dataCb = cb;
    return { dispose() {} };
  }
  onExit(cb: (e: { exitCode: number }) => void) {
    this.exitCb = cb;
    return { dispose() {} };
  }
  write(d: string) {
    this.written.push(d);
  }
  resize(cols: number, rows: number) {
    this.size = { cols, rows };
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  kill(sig = 'SIGHUP') {
    this.killed.push(sig);
    this.exitCb({ exitCode: 129 });
  }
  emit(d: string) {
    this.dataCb(d);
  }
  exit(code: number) {
    this.exitCb({ exitCode: code });
  }
}

class MemorySink implements Sink {
  frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  send(f: Uint8Array) {
    this.frames.push(decodeFrame(f));
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
  text(op: number) {
    return this.frames
      .filter((f) => f.op === op)
      .map((f) => ('text' in f ? f.text : ''))
      .join('');
  }
}

const input = (text: string): Frame => ({ op: Op.Input, text });

/**
 * A registry and the key of one session on a fake pty: `open` attaches and may start the shell,
 * `join` attaches to the session that must exist already (a new shell would be a bug).
 */
function oneSession(graceMs = 60_000) {
  const pty = new FakePty();
  const reg = new SessionRegistry({ graceMs });
  const key = { learnerId: 'l1', instanceId: 'abc123', node: 'node1' };
  const open = (sink: Sink, role?: Role) => reg.attach(key, () => pty, sink, role);
  const join = (sink: Sink, role?: Role) =>
    reg.attach(
      key,
      () => {
        throw new Error('must reuse the session');
      },
      sink,
      role,
    );
  return { pty, reg, key, open, join };
}

test('pauses the pty at the high watermark and resumes only below the low watermark', () => {
  const pty = new FakePty();
  const s = new TerminalSession('s1', 'node1', pty);
  const sink = new MemorySink();
  const sub = s.attach(sink, 'learner');
  pty.emit('x'.repeat(FlowControl.HIGH_WATERMARK - 1));
  assert.equal(pty.paused, false);
  pty.emit('x');
  assert.equal(pty.paused, true, 'paused at HIGH_WATERMARK unacked');
  s.handle(sub, { op: Op.Ack, chars: FlowControl.HIGH_WATERMARK - FlowControl.LOW_WATERMARK });
  assert.equal(pty.paused, true, 'still paused at exactly LOW_WATERMARK');
  s.handle(sub, { op: Op.Ack, chars: 1 });
  assert.equal(pty.paused, false, 'resumed below LOW_WATERMARK');
  s.handle(sub, { op: Op.Ack, chars: 10 * FlowControl.HIGH_WATERMARK });
  assert.equal(sub.unacked, 0, 'over-acking (e.g. acking the replay) clamps at zero');
});

test('a client Pause holds the pty until Resume; a dropped socket releases it', () => {
  const pty = new FakePty();
  const s = new TerminalSession('s1', 'node1', pty, { graceMs: 60_000 });
  const sub = s.attach(new MemorySink(), 'learner');
  s.handle(sub, { op: Op.Pause });
  assert.equal(pty.paused, true);
  s.handle(sub, { op: Op.Resume });
  assert.equal(pty.paused, false);
  s.handle(sub, { op: Op.Pause });
  s.detach(sub);
  assert.equal(pty.paused, false, 'with nobody attached the pty runs into the recorder');
  s.kill();
});

test('only the newest learner socket types; followers see output but their input is dropped', async () => {
  const { pty, reg, open, join } = oneSession();
  const { session, sub: subA } = await open(new MemorySink());
  const f = new MemorySink();
  const { sub: subF } = await join(f, 'follower');
  session.handle(subA, input('ls\r'));
  session.handle(subF, input('rm -rf /\r'));
  session.handle(subF, { op: Op.Resize, cols: 10, rows: 5 });
  session.handle(subF, { op: Op.Pause });
  assert.deepEqual(pty.written, ['ls\r']);
  assert.deepEqual(pty.size, { cols: 80, rows: 24 });
  assert.equal(pty.paused, false);
  pty.emit('hello');
  assert.equal(f.text(Op.Output), 'hello');
  const { sub: subB } = await join(new MemorySink());
  session.handle(subA, input('old tab'));
  session.handle(subB, input('new tab'));
  assert.deepEqual(pty.written, ['ls\r', 'new tab']);
  reg.closeAll();
});

test('a lagging follower never pauses the learner and is dropped past the lag limit', () => {
  const pty = new FakePty();
  const s = new TerminalSession('s1', 'n', pty);
  const learner = s.attach(new MemorySink(), 'learner');
  const fsink = new MemorySink();
  s.attach(fsink, 'follower');
  for (let sent = 0; sent <= FOLLOWER_LAG_LIMIT; sent += 50_000) {
    pty.emit('y'.repeat(50_000));
    s.handle(learner, { op: Op.Ack, chars: 50_000 });
    assert.equal(pty.paused, false);
  }
  assert.equal(fsink.closed?.code, 1013);
  assert.equal(s.subscribers.length, 1);
  s.kill();
});

test('reattach gets Hello(reattached) then a Replay of earlier output; exit sends Exit and closes', async () => {
  const { pty, reg, key, open, join } = oneSession();
  const first = new MemorySink();
  const { session, sub } = await open(first);
  assert.deepEqual(first.frames[0], { op: Op.Hello, hello: { sessionId: session.id, reattached: false, node: 'node1' } });
  pty.emit('$ echo 42\r\n42\r\n');
  session.detach(sub);
  const again = new MemorySink();
  await join(again);
  assert.equal(again.frames[0]!.op, Op.Hello);
  assert.equal((again.frames[0] as { hello: { reattached: boolean } }).hello.reattached, true);
  assert.deepEqual(again.frames[1], { op: Op.Replay, text: '$ echo 42\r\n42\r\n' });
  pty.exit(3);
  assert.deepEqual(again.frames.at(-1), { op: Op.Exit, code: 3 });
  assert.equal(again.closed?.code, CloseCode.Exited);
  assert.equal(reg.get(key), undefined, 'an exited session leaves the registry');
});

test('the pty is killed once the grace period after the last socket has passed', async () => {
  const { pty, reg, key, open } = oneSession(20);
  const { session, sub } = await open(new MemorySink());
  session.detach(sub);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(pty.killed, ['SIGHUP']);
  assert.equal(reg.get(key), undefined);
});

test('the recorder keeps the newest output within its limit and never starts inside an escape sequence', () => {
  const r = new Recorder(100);
  r.push('a'.repeat(10));
  // 116 chars: the cut at 16 falls inside the colour sequence, so the replay starts after it.
  r.push(`${'b'.repeat(5)}\x1b[38;5;196m${'c'.repeat(90)}`);
  assert.equal(r.text(), 'c'.repeat(90));
  assert.equal(safeCut('ab\x1b[1;31mcd', 4), 9, 'a cut inside CSI moves past its final byte');
  assert.equal(safeCut('ab\x1b]0;title\x07cd', 5), 12, 'a cut inside OSC moves past BEL');
  assert.equal(safeCut('a\ud83d\ude00b', 2), 3, 'a cut between surrogates moves past the pair');
  const big = new Recorder();
  for (let i = 0; i < 100; i++) big.push('z'.repeat(10_000));
  assert.equal(big.length, RECORDER_LIMIT_CHARS);
  assert.equal(big.text().length, RECORDER_LIMIT_CHARS);
});

test('two sockets arriving while the shell starts share one shell', async () => {
  const reg = new SessionRegistry({ graceMs: 60_000 });
  const key = { learnerId: 'l', instanceId: 'i', node: 'n' };
  let opens = 0;
  const open = async () => {
    opens++;
    await new Promise((r) => setTimeout(r, 30));
    return new FakePty();
  };
  const [a, b] = await Promise.all([reg.attach(key, open, new MemorySink()), reg.attach(key, open, new MemorySink())]);
  assert.equal(opens, 1);
  assert.equal(a.session, b.session);
  await assert.rejects(
    reg.attach(
      { ...key, node: 'm' },
      async () => {
        throw new Error('no shell here');
      },
      new MemorySink(),
    ),
    /no shell here/,
  );
  assert.equal(reg.list().length, 1, 'a failed start leaves nothing behind');
  reg.closeAll();
});

test('a session taken over from a holder replays its scrollback as a reattach; release keeps the shell', async () => {
  const reg = new SessionRegistry({ graceMs: 60_000 });
  const key = { learnerId: 'l', instanceId: 'i', node: 'n' };
  const pty = Object.assign(new FakePty(), {
    detached: false,
    detach() {
      pty.detached = true;
    },
  });
  reg.adopt(key, 'held1', { pty, replay: 'old output\r\n' }, true);
  const sink = new MemorySink();
  await reg.attach(
    key,
    () => {
      throw new Error('must reuse the held shell');
    },
    sink,
  );
  assert.deepEqual(sink.frames[0], { op: Op.Hello, hello: { sessionId: 'held1', reattached: true, node: 'n' } });
  assert.deepEqual(sink.frames[1], { op: Op.Replay, text: 'old output\r\n' });
  reg.releaseAll();
  assert.equal(pty.detached, true);
  assert.deepEqual(pty.killed, [], 'released, not killed');
  assert.equal(sink.closed?.code, 1012, 'the socket is told to come back');
  assert.equal(reg.list().length, 0);
});
