import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFrame, encodeAck, encodeExit, encodeResize, encodeText, FlowControl, Op } from './terminal.ts';

test('text frames round-trip multi-byte UTF-8', () => {
  const f = decodeFrame(encodeText(Op.Output, 'héllo 안녕 🐝'));
  assert.deepEqual(f, { op: Op.Output, text: 'héllo 안녕 🐝' });
});

test('resize, ack and exit carry their numbers', () => {
  assert.deepEqual(decodeFrame(encodeResize(120, 40)), { op: Op.Resize, cols: 120, rows: 40 });
  assert.deepEqual(decodeFrame(encodeAck(5000)), { op: Op.Ack, chars: 5000 });
  assert.deepEqual(decodeFrame(encodeExit(-1)), { op: Op.Exit, code: -1 });
});

test('unknown opcodes and short frames are rejected, not guessed', () => {
  assert.throws(() => decodeFrame(new Uint8Array([0x7f])), /unknown terminal opcode 0x7f/);
  assert.throws(() => decodeFrame(new Uint8Array([Op.Resize, 0])), /needs 5/);
  assert.throws(() => decodeFrame(new Uint8Array([])), /empty/);
});

test('flow-control invariant: ack chunk ≤ low watermark < high watermark', () => {
  assert.ok(FlowControl.ACK_CHUNK <= FlowControl.LOW_WATERMARK);
  assert.ok(FlowControl.LOW_WATERMARK < FlowControl.HIGH_WATERMARK);
});
