import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode, decodeFrame, encodeText, FlowControl, Op } from '@ebpf-lab/protocol';
import { TerminalSocket, type TerminalStatus } from './terminal-socket';

/** A fake WebSocket the test drives: frames in via `serve`, frames out collected in `sent`. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  sent: Uint8Array[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  serve(frame: Uint8Array) {
    this.onmessage?.({ data: frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) });
  }
  send(data: Uint8Array) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  drop(code: number, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function setup() {
  FakeSocket.all = [];
  const statuses: TerminalStatus[] = [];
  const screen: string[] = [];
  const pending: (() => void)[] = [];
  let resets = 0;
  const socket = new TerminalSocket(
    'ws://x/api/lab/terminal',
    {
      write: (text, done) => {
        screen.push(text);
        pending.push(done);
      },
      reset: () => {
        resets++;
        screen.length = 0;
      },
      status: (s) => statuses.push(s),
    },
    { createSocket: (u) => new FakeSocket(u) as never, backoff: { minMs: 1, maxMs: 4 } },
  );
  socket.connect();
  const ws = FakeSocket.all[0]!;
  ws.open();
  return { socket, ws, statuses, screen, pending, resets: () => resets };
}

const acks = (ws: FakeSocket) =>
  ws.sent
    .map((b) => decodeFrame(b))
    .filter((f) => f.op === Op.Ack)
    .map((f) => (f as { chars: number }).chars);

test('acks Output only after xterm rendered it, in ACK_CHUNK steps; Replay is never acked', () => {
  const { ws, pending } = setup();
  ws.serve(encodeText(Op.Replay, 'r'.repeat(FlowControl.ACK_CHUNK * 2)));
  const chunk = 'x'.repeat(FlowControl.ACK_CHUNK / 2);
  ws.serve(encodeText(Op.Output, chunk));
  ws.serve(encodeText(Op.Output, chunk));
  assert.deepEqual(acks(ws), [], 'nothing acked before it is on screen');
  for (const done of pending.splice(0)) done();
  assert.deepEqual(acks(ws), [FlowControl.ACK_CHUNK]);
});

test('a Replay clears the screen before it repaints it', () => {
  const { ws, screen, resets } = setup();
  ws.serve(encodeText(Op.Output, 'old'));
  ws.serve(encodeText(Op.Replay, 'recorded'));
  assert.equal(resets(), 1);
  assert.deepEqual(screen, ['recorded']);
});

test('a dropped socket shows reconnecting and reattaches; refusals and exits do not retry', async () => {
  const { ws, statuses } = setup();
  ws.drop(1006);
  assert.equal(statuses.at(-1), 'reconnecting');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(FakeSocket.all.length, 2, 'a new socket was opened');
  FakeSocket.all[1]!.open();
  assert.equal(statuses.at(-1), 'open');
  FakeSocket.all[1]!.drop(CloseCode.Forbidden, 'bad origin');
  assert.equal(statuses.at(-1), 'refused');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(FakeSocket.all.length, 2, 'no retry after a refusal');
});

test('input and resize go out as protocol frames; a resize set before open is sent on open', () => {
  FakeSocket.all = [];
  const socket = new TerminalSocket('ws://x', { write: (_t, d) => d(), reset() {}, status() {} }, { createSocket: (u) => new FakeSocket(u) as never });
  socket.resize(100, 30);
  socket.connect();
  const ws = FakeSocket.all[0]!;
  ws.open();
  socket.send('ls\r');
  assert.deepEqual(
    ws.sent.map((b) => decodeFrame(b)),
    [
      { op: Op.Resize, cols: 100, rows: 30 },
      { op: Op.Input, text: 'ls\r' },
    ],
  );
  socket.dispose();
});
