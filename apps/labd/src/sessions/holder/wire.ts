import { decodeFrame, type Frame } from '@ebpf-lab/protocol';

/**
 * labd ↔ holder framing over a Unix stream socket. Each message is a terminal protocol frame
 * (packages/protocol: the same opcodes the browser speaks) behind a u32 big-endian length, since a
 * stream, unlike a WebSocket, has no message boundaries.
 */
export const MAX_WIRE_FRAME = 4 * 1024 * 1024;

export function wireFrame(frame: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + frame.length);
  out.writeUInt32BE(frame.length, 0);
  out.set(frame, 4);
  return out;
}

/** Splits a byte stream back into frames; throws on an oversized or malformed one (a bad peer). */
export class WireReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (n === 0 || n > MAX_WIRE_FRAME) throw new Error(`holder frame of ${n} bytes is out of bounds (1..${MAX_WIRE_FRAME})`);
      if (this.buf.length < 4 + n) break;
      const body = this.buf.subarray(4, 4 + n);
      frames.push(decodeFrame(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)));
      this.buf = this.buf.subarray(4 + n);
    }
    return frames;
  }
}
