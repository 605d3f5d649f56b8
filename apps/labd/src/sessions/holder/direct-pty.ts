import type { Socket } from 'node:net';
import { ReadStream } from 'node:tty';
import { encodeText, Op, type Frame } from '@ebpf-lab/protocol';
import { HolderPty } from './holder-pty.ts';
import type { HolderRecord } from './records.ts';
import { wireFrame, type WireReader } from './wire.ts';

/** How long the shell's last output may take to reach us after the holder reported its exit. */
const EXIT_DRAIN_MS = 300;

/**
 * A held shell whose pty labd reads and writes itself: `fd` is labd's copy of the holder's pty
 * master (take-fd.ts), so a keystroke and its echo cross labd and the shell only. The holder keeps
 * the rest: it resizes the pty, reports the shell's exit code, keeps the scrollback from what labd
 * mirrors to it (before the learner sees it), and reads the master again when labd goes.
 */
export class DirectPty extends HolderPty {
  private readonly master: ReadStream;
  private sessionPaused = false;
  private holderBehind = false;
  private masterOpen = true;
  private exitWaiting: number | null = null;
  /** Output whose mirror is still in labd's memory, not yet in the kernel on its way to the holder. */
  private held: string[] = [];
  /** The holder said the shell exited (else a closed socket means it replaced us, or died). */
  private exitFrame = false;

  constructor(sock: Socket, record: HolderRecord, reader: WireReader, pending: Frame[], fd: number) {
    super(sock, record, reader);
    this.master = new ReadStream(fd);
    this.master.setEncoding('utf8');
    this.master.on('data', (d: string) => this.read(d));
    // EIO once the shell (and all else on its side of the pty) is gone: the end of its output.
    this.master.on('error', () => this.master.destroy());
    this.master.on('close', () => {
      this.masterOpen = false;
      if (this.exitWaiting !== null) super.exited(this.exitWaiting);
    });
    sock.on('close', () => {
      // Replaced by another labd, or the holder died: the pty is no longer ours to read, not even
      // the one read ahead a paused stream may do. What waited for the mirror goes to the learner.
      if (!this.released && !this.exitFrame) {
        this.stopReading();
        this.master.destroy();
      }
      this.release();
    });
    pending.forEach((f) => this.handleFrame(f));
  }

  override write(data: string): void {
    if (this.masterOpen) this.master.write(data);
  }
  override pause(): void {
    this.sessionPaused = true;
    this.flow();
  }
  override resume(): void {
    this.sessionPaused = false;
    this.flow();
  }

  /** labd lets go: the holder gets the last mirrored output, then reads the master itself. */
  override detach(): void {
    this.released = true;
    // Whatever the stream may still hold (pause stops the read at once, so normally nothing) goes
    // to the holder too, or it would be lost between labd and the holder.
    this.stopReading();
    while (this.master.readableLength > 0 && this.master.read() !== null); // read() emits 'data'
    this.master.destroy();
    this.sock.end();
    setTimeout(() => this.sock.destroy(), 1000).unref();
  }

  protected override handleFrame(f: Frame): void {
    if (f.op === Op.Exit) this.exitFrame = true;
    super.handleFrame(f);
  }

  /** The holder's Exit can overtake the shell's last output, which is still in the master: drain it first. */
  protected override exited(code: number): void {
    if (this.exitCode !== null || this.exitWaiting !== null) return;
    if (!this.masterOpen) return super.exited(code);
    if (!this.exitFrame) {
      // No Exit from the holder (it was killed, or another labd replaced us): nothing to drain.
      this.exitWaiting = code;
      this.stopReading();
      this.master.destroy();
      return;
    }
    this.exitWaiting = code;
    // The shell is gone: its last output is read even if the learner is behind (bounded by the
    // pty's buffer), or a paused session would end without it.
    this.sessionPaused = false;
    this.holderBehind = false;
    this.flow();
    setTimeout(() => this.master.destroy(), EXIT_DRAIN_MS).unref();
  }

  private flow(): void {
    if (!this.masterOpen) return;
    if (this.sessionPaused || this.holderBehind) return this.stopReading();
    this.master.resume();
    // After a stop at once the stream still believes a read is pending and would not start one.
    const h = this.handle();
    if (h && !h.reading) {
      h.reading = true;
      h.readStart();
    }
  }

  private handle() {
    return (this.master as unknown as { _handle?: { reading: boolean; readStop(): number; readStart(): number } })._handle;
  }

  /**
   * The holder first: whatever a learner has seen is in the scrollback a restarted labd replays,
   * even when labd is killed the next instant. A mirror that went straight into the kernel (the
   * usual case: one small write ahead of the echo) lets the output through at once; one that
   * waits in labd's memory (the holder is behind) holds the output, and the pty, until it is out.
   */
  private read(d: string): void {
    if (this.sock.destroyed || !this.sock.writable) return this.data(d);
    this.sock.write(wireFrame(encodeText(Op.Output, d)), () => {
      if (this.sock.writableLength === 0) this.release();
    });
    if (this.held.length === 0 && this.sock.writableLength === 0) return this.data(d);
    this.held.push(d);
    this.holderBehind = true;
    this.flow();
  }

  private release(): void {
    for (const d of this.held.splice(0)) this.data(d);
    if (!this.holderBehind) return;
    this.holderBehind = false;
    this.flow();
  }

  /** Stops reading the master now (pausing the stream alone still lets one more read land). */
  private stopReading(): void {
    this.master.pause();
    const h = this.handle();
    if (h?.reading) {
      h.reading = false;
      h.readStop();
    }
  }
}
