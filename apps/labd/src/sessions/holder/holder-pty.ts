import type { Socket } from 'node:net';
import { encodeResize, encodeSignal, encodeText, Op, type Frame } from '@ebpf-lab/protocol';
import type { Pty } from '../../drivers/types.ts';
import { holderAlive, type HolderRecord } from './records.ts';
import { wireFrame, type WireReader } from './wire.ts';

/** A shell held by a holder process: the session's Pty, whose frames go over the holder's socket. */
export class HolderPty implements Pty {
  private dataCbs: ((d: string) => void)[] = [];
  private exitCbs: ((e: { exitCode: number }) => void)[] = [];
  private early: string[] = [];
  protected exitCode: number | null = null;
  protected released = false;

  /** `pending`: frames that arrived together with the Replay, handed on first and in order. */
  constructor(
    protected readonly sock: Socket,
    readonly record: HolderRecord,
    private readonly reader: WireReader,
    pending: Frame[] = [],
  ) {
    pending.forEach((f) => this.handleFrame(f));
    sock.on('data', (chunk) => {
      try {
        this.reader.push(chunk).forEach((f) => this.handleFrame(f));
      } catch (e) {
        process.stderr.write(`labd: terminal holder ${record.id}: ${(e as Error).message}\n`);
        sock.destroy();
      }
    });
    // A holder gone without an Exit frame (killed) ends the session like a hung-up shell.
    sock.on('close', () => {
      if (!this.released) this.exited(129);
    });
  }

  protected handleFrame(f: Frame): void {
    if (f.op === Op.Output) this.data(f.text);
    else if (f.op === Op.Exit) this.exited(f.code);
  }

  get pid(): number {
    return this.record.shellPid;
  }

  onData(cb: (d: string) => void) {
    this.dataCbs.push(cb);
    for (const d of this.early.splice(0)) cb(d);
    return {
      dispose: () => {
        this.dataCbs = this.dataCbs.filter((c) => c !== cb);
      },
    };
  }

  onExit(cb: (e: { exitCode: number }) => void) {
    this.exitCbs.push(cb);
    // Already over (the shell ended before labd connected): tell the session once it is set up and
    // its first socket attached, so that socket gets the Exit rather than a refusal.
    if (this.exitCode !== null) {
      const code = this.exitCode;
      setImmediate(() => cb({ exitCode: code }));
    }
    return {
      dispose: () => {
        this.exitCbs = this.exitCbs.filter((c) => c !== cb);
      },
    };
  }

  write(data: string): void {
    this.send(encodeText(Op.Input, data));
  }
  resize(cols: number, rows: number): void {
    this.send(encodeResize(cols, rows));
  }
  pause(): void {
    this.send(encodeSignal(Op.Pause));
  }
  resume(): void {
    this.send(encodeSignal(Op.Resume));
  }

  /** SIGHUP (or anything but SIGKILL) asks the holder to hang up its shell; SIGKILL kills both. */
  kill(signal = 'SIGHUP'): void {
    if (!holderAlive(this.record)) return;
    if (signal === 'SIGKILL') {
      process.kill(this.record.holderPid, 'SIGKILL');
      try {
        process.kill(this.record.shellPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    } else {
      process.kill(this.record.holderPid, 'SIGTERM');
    }
  }

  /** Lets go of the holder without ending the shell (labd is shutting down; a later one reattaches). */
  detach(): void {
    this.released = true;
    this.sock.destroy();
  }

  protected send(frame: Uint8Array): void {
    if (!this.sock.destroyed) this.sock.write(wireFrame(frame));
  }

  protected data(d: string): void {
    if (this.dataCbs.length === 0) this.early.push(d);
    for (const cb of this.dataCbs) cb(d);
  }

  protected exited(code: number): void {
    if (this.exitCode !== null) return;
    this.exitCode = code;
    for (const cb of this.exitCbs) cb({ exitCode: code });
  }
}
