import { CloseCode, decodeFrame, encodeAck, encodeResize, encodeText, FlowControl, Op } from '@ebpf-lab/protocol';

export type TerminalStatus = 'connecting' | 'open' | 'reconnecting' | 'exited' | 'refused';

/** What the socket drives: in the browser an xterm, in tests a recorder. */
export interface TerminalSink {
  /** Render `text`; call `done` once it is on screen (xterm's write callback). */
  write(text: string, done: () => void): void;
  /** Clear the screen before a Replay (a reattach repaints from the server's recorder). */
  reset(): void;
  status(status: TerminalStatus, detail?: string): void;
  hello?(hello: { sessionId: string; reattached: boolean; node: string }): void;
}

type SocketLike = Pick<WebSocket, 'send' | 'close' | 'readyState' | 'binaryType'> & {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
};

export interface TerminalSocketOptions {
  createSocket?: (url: string) => SocketLike;
  /** Reconnect delays grow from min to max (ms); a refused attach (401/403/404) stops retrying. */
  backoff?: { minMs: number; maxMs: number };
}

const OPEN = 1;
/** A handshake that takes longer is abandoned and retried (a hung one would block the next). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One terminal attachment with automatic reattach. Flow control: only Output counts (labd does not
 * count Replay); after xterm has rendered a chunk its size is added to `rendered`, and every
 * ACK_CHUNK characters an Ack goes out, so labd's unacked count tracks what is really on screen.
 */
export class TerminalSocket {
  private ws: SocketLike | null = null;
  private rendered = 0;
  private delay: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private size: { cols: number; rows: number } | null = null;
  private readonly backoff: { minMs: number; maxMs: number };
  private readonly createSocket: (url: string) => SocketLike;

  constructor(
    private readonly url: string,
    private readonly sink: TerminalSink,
    opts: TerminalSocketOptions = {},
  ) {
    this.backoff = opts.backoff ?? { minMs: 250, maxMs: 5000 };
    this.delay = this.backoff.minMs;
    this.createSocket = opts.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike);
  }

  connect(): void {
    if (this.disposed) return;
    this.rendered = 0;
    const ws = this.createSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    const giveUp = setTimeout(() => {
      if (this.ws !== ws || ws.readyState === OPEN) return;
      ws.close();
      ws.onclose?.({ code: 1006, reason: 'connect timeout' });
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(giveUp);
      this.delay = this.backoff.minMs;
      this.sink.status('open');
      if (this.size) ws.send(encodeResize(this.size.cols, this.size.rows));
    };
    ws.onmessage = (ev) => this.onFrame(new Uint8Array(ev.data as ArrayBuffer));
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      clearTimeout(giveUp);
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.disposed) return;
      if (ev.code === CloseCode.Exited) return this.sink.status('exited');
      if (ev.code === CloseCode.Unauthorized || ev.code === CloseCode.Forbidden || ev.code === CloseCode.NotFound) {
        return this.sink.status('refused', ev.reason);
      }
      this.sink.status('reconnecting', ev.reason);
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.backoff.maxMs, this.delay * 2);
    };
  }

  private onFrame(data: Uint8Array): void {
    const f = decodeFrame(data);
    switch (f.op) {
      case Op.Hello:
        this.sink.hello?.(f.hello);
        break;
      case Op.Replay:
        this.sink.reset();
        if (f.text) this.sink.write(f.text, () => {});
        break;
      case Op.Output: {
        const n = f.text.length;
        const ws = this.ws;
        this.sink.write(f.text, () => this.rendered_(ws, n));
        break;
      }
      case Op.Exit:
        this.sink.status('exited', `exit ${f.code}`);
        break;
      default:
        break;
    }
  }

  private rendered_(ws: SocketLike | null, n: number): void {
    if (ws !== this.ws || !ws || ws.readyState !== OPEN) return; // counts belong to one socket
    this.rendered += n;
    if (this.rendered >= FlowControl.ACK_CHUNK) {
      ws.send(encodeAck(this.rendered));
      this.rendered = 0;
    }
  }

  send(text: string): void {
    if (this.ws?.readyState === OPEN) this.ws.send(encodeText(Op.Input, text));
  }

  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
    if (this.ws?.readyState === OPEN) this.ws.send(encodeResize(cols, rows));
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'closed by the page');
    this.ws = null;
  }
}
