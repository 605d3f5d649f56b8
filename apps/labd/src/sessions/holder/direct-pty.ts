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

  constructor(sock: Socket, record: HolderRecord, reader: WireReader, pending: Frame[], fd: number) {
    super(sock, record, reader);
    this.master = new ReadStream(fd);
    this.master.setEncoding('utf8');
    this.master.on('data', (d: string) => {
      // The holder first: whatever a learner has seen is in the scrollback a restarted labd replays,
      // even when labd is killed the next instant (one small write ahead of the echo).
      this.mirrorOut(d);
      this.data(d);
    });
    // EIO once the shell (and all else on its side of the pty) is gone: the end of its output.
    this.master.on('error', () => this.master.destroy());
    this.master.on('close', () => {
      this.masterOpen = false;
      if (this.exitWaiting !== null) super.exited(this.exitWaiting);
    });
    sock.on('drain', () => {
      this.holderBehind = false;
      this.flow();
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
    this.master.destroy();
    this.sock.end();
    setTimeout(() => this.sock.destroy(), 1000).unref();
  }

  /** The holder's Exit can overtake the shell's last output, which is still in the master: drain it first. */
  protected override exited(code: number): void {
    if (this.exitCode !== null || this.exitWaiting !== null) return;
    if (!this.masterOpen) return super.exited(code);
    this.exitWaiting = code;
    setTimeout(() => this.master.destroy(), EXIT_DRAIN_MS).unref();
  }

  private flow(): void {
    if (!this.masterOpen) return;
    if (this.sessionPaused || this.holderBehind) this.master.pause();
    else this.master.resume();
  }

  private mirrorOut(d: string): void {
    if (this.sock.destroyed || !this.sock.writable) return;
    // A holder that cannot keep up holds the shell back rather than labd buffering without bound.
    if (!this.sock.write(wireFrame(encodeText(Op.Output, d)))) {
      this.holderBehind = true;
      this.flow();
    }
  }
}
