import { encodeExit, encodeText, FlowControl, Op, REATTACH_GRACE_MS, CloseCode, type Frame } from '@ebpf-lab/protocol';
import type { Pty } from '../drivers/types.ts';
import { Recorder } from './recorder.ts';

/**
 * `learner` sockets may type (the newest one is the writer) and hold the pty back when they fall
 * behind; `follower` sockets (an instructor watching) only receive, and never slow the learner.
 */
export type Role = 'learner' | 'follower';

/** Where a subscriber's frames go: a WebSocket in labd, an array in tests. */
export interface Sink {
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
}

export interface Subscriber {
  readonly id: number;
  readonly role: Role;
  readonly sink: Sink;
  unacked: number;
}

/**
 * A follower this far behind is dropped rather than buffered without bound; it reconnects and
 * catches up from the Replay. 1013 is the standard "try again later" close code.
 */
export const FOLLOWER_LAG_LIMIT = 4 * FlowControl.HIGH_WATERMARK;
const CLOSE_TRY_AGAIN = 1013;

export interface SessionOptions {
  graceMs?: number;
  onEnd?: (s: TerminalSession) => void;
  /** Earlier output of a shell this session takes over (a holder's scrollback after a labd restart). */
  replay?: string;
  /** The shell had sockets before (under an earlier labd): every attach is a reattach. */
  resumed?: boolean;
}

/**
 * One pty and everyone watching it. Output goes to the recorder and to every subscriber; the pty
 * is paused while any learner socket has HIGH_WATERMARK unacked characters (or its writer asked
 * for a pause) and resumed once every learner socket is below LOW_WATERMARK. With no subscriber
 * the pty runs free into the bounded recorder, and is killed after the grace period.
 */
export class TerminalSession {
  readonly recorder = new Recorder();
  private subs: Subscriber[] = [];
  private nextSubId = 1;
  private everAttached = false;
  private ptyPaused = false;
  private clientPaused = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private dying = false;
  exitCode: number | null = null;

  constructor(
    readonly id: string,
    readonly node: string,
    private readonly pty: Pty,
    private readonly opts: SessionOptions = {},
  ) {
    if (opts.replay) this.recorder.push(opts.replay);
    this.everAttached = opts.resumed ?? false;
    pty.onData((d) => this.output(d));
    pty.onExit(({ exitCode }) => this.exited(exitCode));
    // Nobody is attached yet: a session nobody opens (one reattached after a restart) must not live for ever.
    this.startGrace();
  }

  get subscribers(): readonly Subscriber[] {
    return this.subs;
  }
  get paused(): boolean {
    return this.ptyPaused;
  }
  get pid(): number {
    return this.pty.pid;
  }

  /** The newest learner socket: the only one whose input reaches the shell. */
  get writer(): Subscriber | undefined {
    for (let i = this.subs.length - 1; i >= 0; i--) if (this.subs[i]!.role === 'learner') return this.subs[i];
    return undefined;
  }

  attach(sink: Sink, role: Role): Subscriber {
    if (this.ended || this.dying) throw new Error(`session ${this.id} has ended`);
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    const sub: Subscriber = { id: this.nextSubId++, role, sink, unacked: 0 };
    const reattached = this.everAttached;
    this.everAttached = true;
    if (role === 'learner') this.clientPaused = false; // the pause belonged to the previous writer
    sink.send(encodeText(Op.Hello, JSON.stringify({ sessionId: this.id, reattached, node: this.node })));
    // Replay is not counted as unacked: it is bounded by the recorder, and a client that does ack
    // it only drives the count towards zero, where it is clamped.
    sink.send(encodeText(Op.Replay, this.recorder.text()));
    this.subs.push(sub);
    this.updateFlow();
    return sub;
  }

  detach(sub: Subscriber): void {
    const wasWriter = this.writer === sub;
    this.subs = this.subs.filter((s) => s !== sub);
    if (wasWriter) this.clientPaused = false;
    this.updateFlow();
    if (this.subs.length === 0) this.startGrace();
  }

  private startGrace(): void {
    if (this.ended) return;
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => this.kill(), this.opts.graceMs ?? REATTACH_GRACE_MS);
    this.graceTimer.unref();
  }

  /**
   * Lets go of the shell without ending it (labd is shutting down and a holder keeps the shell for
   * the next labd). Subscribers are closed as on a server restart, with no Exit frame.
   */
  release(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.graceTimer);
    for (const s of this.subs) s.sink.close(1012, 'labd is restarting; reconnect to continue');
    this.subs = [];
    this.opts.onEnd?.(this);
    this.pty.detach?.();
  }

  /** Applies one client frame. Everything but Ack from a non-writer is dropped (read-only view). */
  handle(sub: Subscriber, f: Frame): void {
    if (f.op === Op.Ack) {
      sub.unacked = Math.max(0, sub.unacked - f.chars);
      this.updateFlow();
      return;
    }
    if (sub !== this.writer || this.ended) return;
    switch (f.op) {
      case Op.Input:
        this.pty.write(f.text);
        break;
      case Op.Resize:
        this.pty.resize(f.cols, f.rows);
        break;
      case Op.Pause:
        this.clientPaused = true;
        this.updateFlow();
        break;
      case Op.Resume:
        this.clientPaused = false;
        this.updateFlow();
        break;
      default:
        break; // server opcodes from a client are ignored
    }
  }

  kill(): void {
    if (this.ended) return;
    // Leave the registry now, so a socket arriving while the shell dies gets a fresh session.
    this.dying = true;
    this.opts.onEnd?.(this);
    try {
      this.pty.kill('SIGHUP');
    } catch {
      /* already gone */
    }
    // A shell ignoring SIGHUP must not outlive its session.
    setTimeout(() => {
      if (!this.ended) {
        try {
          this.pty.kill('SIGKILL');
        } catch {
          /* gone */
        }
        this.exited(129);
      }
    }, 2000).unref();
  }

  private output(data: string): void {
    this.recorder.push(data);
    const frame = encodeText(Op.Output, data);
    for (const s of [...this.subs]) {
      s.unacked += data.length;
      if (s.role === 'follower' && s.unacked > FOLLOWER_LAG_LIMIT) {
        this.detach(s);
        s.sink.close(CLOSE_TRY_AGAIN, 'fell too far behind; reconnect to catch up');
        continue;
      }
      s.sink.send(frame);
    }
    this.updateFlow();
  }

  private updateFlow(): void {
    if (this.ended) return;
    const learners = this.subs.filter((s) => s.role === 'learner');
    if (this.ptyPaused) {
      if (!this.clientPaused && learners.every((s) => s.unacked < FlowControl.LOW_WATERMARK)) {
        this.ptyPaused = false;
        this.pty.resume();
      }
    } else if (this.clientPaused || learners.some((s) => s.unacked >= FlowControl.HIGH_WATERMARK)) {
      this.ptyPaused = true;
      this.pty.pause();
    }
  }

  private exited(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.exitCode = code;
    clearTimeout(this.graceTimer);
    const frame = encodeExit(code);
    for (const s of this.subs) {
      s.sink.send(frame);
      s.sink.close(CloseCode.Exited, 'the shell exited');
    }
    this.subs = [];
    this.opts.onEnd?.(this);
  }
}
