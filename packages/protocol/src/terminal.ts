/**
 * Terminal wire protocol shared by the browser and labd. Every WebSocket message is binary; its
 * first byte is an opcode, the rest is the payload. Client opcodes are < 0x80, server ≥ 0x80.
 */
export const Op = {
  // client → server
  Input: 0x01, // UTF-8 keystrokes
  Resize: 0x02, // u16 cols, u16 rows (big-endian)
  Ack: 0x03, // u32 number of output characters the client has rendered since its last ack
  Pause: 0x04, // the client asks the pty to stop producing (e.g. the tab is hidden)
  Resume: 0x05,
  // server → client
  Output: 0x81, // UTF-8 terminal output
  Replay: 0x82, // UTF-8 recorded output sent once on (re)attach, before any live Output
  Exit: 0x83, // i32 exit code of the shell; the socket closes after it
  Hello: 0x84, // UTF-8 JSON { sessionId, reattached, node } sent first on every attach
} as const;
export type Opcode = (typeof Op)[keyof typeof Op];

/**
 * Flow control by acknowledged characters. labd counts characters sent and not yet acked; at
 * HIGH_WATERMARK it pauses the pty, and resumes once the unacked count falls below LOW_WATERMARK.
 * The client acks every ACK_CHUNK characters after xterm has rendered them.
 * Invariant: ACK_CHUNK ≤ LOW_WATERMARK < HIGH_WATERMARK. What a client has rendered but not yet
 * acked is always < ACK_CHUNK, so once it has rendered everything the server's unacked count is
 * below LOW_WATERMARK and the pty resumes: the stream can never deadlock.
 */
export const FlowControl = {
  HIGH_WATERMARK: 100_000,
  LOW_WATERMARK: 10_000,
  ACK_CHUNK: 5_000,
} as const;

/** Output the server keeps per session for replay on reattach (characters, oldest dropped first). */
export const RECORDER_LIMIT_CHARS = 256 * 1024;
/** How long a pty outlives its last socket before it is killed. */
export const REATTACH_GRACE_MS = 5 * 60_000;
/** WebSocket close codes labd uses for refused attaches (4000-4999 are application codes). */
export const CloseCode = { Unauthorized: 4401, Forbidden: 4403, NotFound: 4404, Exited: 4000 } as const;

const encoder = new TextEncoder();

function frame(op: Opcode, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = op;
  out.set(payload, 1);
  return out;
}

export function encodeText(op: typeof Op.Input | typeof Op.Output | typeof Op.Replay | typeof Op.Hello, text: string): Uint8Array {
  return frame(op, encoder.encode(text));
}

export function encodeResize(cols: number, rows: number): Uint8Array {
  const out = new Uint8Array(5);
  const view = new DataView(out.buffer);
  out[0] = Op.Resize;
  view.setUint16(1, clamp(cols, 1, 1000));
  view.setUint16(3, clamp(rows, 1, 1000));
  return out;
}

export function encodeAck(chars: number): Uint8Array {
  const out = new Uint8Array(5);
  out[0] = Op.Ack;
  new DataView(out.buffer).setUint32(1, clamp(chars, 0, 0xffffffff));
  return out;
}

export function encodeExit(code: number): Uint8Array {
  const out = new Uint8Array(5);
  out[0] = Op.Exit;
  new DataView(out.buffer).setInt32(1, code | 0);
  return out;
}

export function encodeSignal(op: typeof Op.Pause | typeof Op.Resume): Uint8Array {
  return new Uint8Array([op]);
}

export type Frame =
  | { op: typeof Op.Input | typeof Op.Output | typeof Op.Replay; text: string }
  // `direct` is spoken only between labd and a terminal holder (apps/labd/src/sessions/holder/).
  | { op: typeof Op.Hello; hello: { sessionId: string; reattached: boolean; node: string; direct?: boolean } }
  | { op: typeof Op.Resize; cols: number; rows: number }
  | { op: typeof Op.Ack; chars: number }
  | { op: typeof Op.Exit; code: number }
  | { op: typeof Op.Pause | typeof Op.Resume };

/** Decodes one message; throws on an unknown opcode or a short payload so bad peers are noticed. */
export function decodeFrame(data: Uint8Array): Frame {
  if (data.length === 0) throw new Error('empty terminal frame');
  const op = data[0];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const need = (n: number) => {
    if (data.length < n) throw new Error(`terminal frame 0x${op!.toString(16)} is ${data.length} bytes, needs ${n}`);
  };
  switch (op) {
    case Op.Input:
    case Op.Output:
    case Op.Replay:
      return { op, text: new TextDecoder().decode(data.subarray(1)) };
    case Op.Hello:
      return { op, hello: JSON.parse(new TextDecoder().decode(data.subarray(1))) };
    case Op.Resize:
      need(5);
      return { op, cols: view.getUint16(1), rows: view.getUint16(3) };
    case Op.Ack:
      need(5);
      return { op, chars: view.getUint32(1) };
    case Op.Exit:
      need(5);
      return { op, code: view.getInt32(1) };
    case Op.Pause:
    case Op.Resume:
      return { op };
    default:
      throw new Error(`unknown terminal opcode 0x${(op ?? 0).toString(16)}`);
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.floor(n)));
}
