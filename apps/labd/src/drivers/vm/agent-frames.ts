/**
 * Reads the exec agent's byte stream (guest-agent.ts: a greeting line, then frames of a type byte,
 * a 4-byte big-endian length and the payload). The guest is the learner's: they are root there and
 * may replace the agent, so nothing here trusts what arrives. A header announcing more than
 * MAX_FRAME bytes is refused at once instead of buffered, and bytes are kept as a list of chunks
 * and copied once when a frame is complete (re-concatenating a growing buffer per chunk is
 * quadratic: a never-ending frame stalled labd's event loop for seconds).
 */

import { LabError } from '../../errors.ts';

/** The agent writes stdout/stderr in reads of at most 64 KiB, and 'x'/'f' frames are short. */
export const MAX_FRAME = 1024 * 1024;

const TYPES = new Set(['o', 'e', 'x', 'f']);

/** What the guest sent is not what the agent sends: the exec fails (a message, no stack), labd goes on. */
export class MalformedReply extends LabError {
  constructor(detail: string) {
    super(
      `the lab's exec agent sent a malformed reply (${detail}); the lab may have been tampered with — reset it`,
      'remove the lab and start a new one: lab down <instance>, then lab up <lab>',
    );
  }
}

export interface Frame {
  type: 'o' | 'e' | 'x' | 'f';
  body: Buffer;
}

export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  push(c: Buffer): void {
    if (!c.length) return;
    this.chunks.push(c);
    this.size += c.length;
  }

  get length(): number {
    return this.size;
  }

  /** The first n bytes without consuming them (copies at most n). Null while fewer have arrived. */
  peek(n: number): Buffer | null {
    if (this.size < n) return null;
    if (n === 0) return Buffer.alloc(0);
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    const parts: Buffer[] = [];
    let got = 0;
    for (const c of this.chunks) {
      if (got >= n) break;
      parts.push(c.subarray(0, n - got));
      got += Math.min(c.length, n - got);
    }
    return Buffer.concat(parts, n);
  }

  /** Consumes and returns the first n bytes (each byte is copied at most once). */
  take(n: number): Buffer {
    const out = this.peek(n);
    if (!out) throw new Error(`take(${n}) of ${this.size} bytes`);
    let left = n;
    while (left > 0) {
      const c = this.chunks[0]!;
      if (c.length <= left) {
        this.chunks.shift();
        left -= c.length;
      } else {
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.size -= n;
    return out;
  }

  /**
   * The next whole frame, or null while it is incomplete. Throws MalformedReply for an unknown
   * type or a length over MAX_FRAME as soon as the header is in, before any of its payload.
   */
  next(): Frame | null {
    const head = this.peek(5);
    if (!head) return null;
    const type = String.fromCharCode(head[0]!);
    if (!TYPES.has(type)) throw new MalformedReply(`unknown frame type ${JSON.stringify(type)}`);
    const len = head.readUInt32BE(1);
    if (len > MAX_FRAME) throw new MalformedReply(`a frame of ${len} bytes, more than the ${MAX_FRAME} the agent ever sends`);
    if (this.size < 5 + len) return null;
    this.take(5);
    return { type: type as Frame['type'], body: this.take(len) };
  }
}

/** The exit code in an 'x' frame: {"code": n} with n an integer 0..255, anything else is refused. */
export function endCode(body: Buffer): number {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedReply('the end frame is not JSON');
  }
  const code = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { code?: unknown }).code : undefined;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 255) {
    throw new MalformedReply(`the end frame is ${JSON.stringify(body.subarray(0, 60).toString('utf8'))}, not {"code": 0..255}`);
  }
  return code;
}
