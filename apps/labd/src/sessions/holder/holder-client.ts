import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeResize, encodeSignal, encodeText, Op, type Frame } from '@ebpf-lab/protocol';
import type { Pty, ShellCommand } from '../../drivers/types.ts';
import type { SessionKey } from '../registry.ts';
import { config } from '../../config.ts';
import { holderProgram } from './bundle.ts';
import type { HolderSpec } from './holder-main.ts';
import { terminalsDir } from './holders.ts';
import { ensureTerminalsDir, holderAlive, listRecords, MAX_SOCKET_PATH, procStartTime, socketPathOf, type HolderRecord } from './records.ts';
import { WireReader, wireFrame } from './wire.ts';

const START_TIMEOUT_MS = 20_000;

/** A shell held by a holder process: the session's Pty, whose frames go over the holder's socket. */
export class HolderPty implements Pty {
  private dataCbs: ((d: string) => void)[] = [];
  private exitCbs: ((e: { exitCode: number }) => void)[] = [];
  private early: string[] = [];
  private exitCode: number | null = null;
  private released = false;

  /** `pending`: frames that arrived together with the Replay, handed on first and in order. */
  constructor(
    private readonly sock: Socket,
    readonly record: HolderRecord,
    private readonly reader: WireReader,
    pending: Frame[] = [],
  ) {
    const handle = (f: Frame) => {
      if (f.op === Op.Output) this.data(f.text);
      else if (f.op === Op.Exit) this.exited(f.code);
    };
    pending.forEach(handle);
    sock.on('data', (chunk) => {
      try {
        this.reader.push(chunk).forEach(handle);
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

  private send(frame: Uint8Array): void {
    if (!this.sock.destroyed) this.sock.write(wireFrame(frame));
  }

  private data(d: string): void {
    if (this.dataCbs.length === 0) this.early.push(d);
    for (const cb of this.dataCbs) cb(d);
  }

  private exited(code: number): void {
    if (this.exitCode !== null) return;
    this.exitCode = code;
    for (const cb of this.exitCbs) cb({ exitCode: code });
  }
}

export interface HeldShell {
  pty: HolderPty;
  replay: string;
}

/** Connects to a live holder; resolves once its Hello and Replay (the scrollback) have arrived. */
export function connectHolder(record: HolderRecord, timeoutMs = 10_000): Promise<HeldShell> {
  return new Promise((resolve, reject) => {
    const sock = connect(record.socket);
    const reader = new WireReader();
    let hello = false;
    const fail = (e: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(new Error(`terminal holder ${record.id}: ${e.message}`));
    };
    const timer = setTimeout(() => fail(new Error(`no Hello and Replay within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch (e) {
        fail(e as Error);
        return;
      }
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i]!;
        if (!hello) {
          if (f.op !== Op.Hello) {
            fail(new Error(`expected Hello, got opcode 0x${f.op.toString(16)}`));
            return;
          }
          hello = true;
          continue;
        }
        if (f.op !== Op.Replay) {
          fail(new Error(`expected Replay, got opcode 0x${f.op.toString(16)}`));
          return;
        }
        clearTimeout(timer);
        sock.off('data', onData);
        sock.off('error', fail);
        sock.off('close', onClose);
        sock.on('error', (e) => process.stderr.write(`labd: terminal holder ${record.id}: ${e.message}\n`));
        resolve({ pty: new HolderPty(sock, record, reader, frames.slice(i + 1)), replay: f.text });
        return;
      }
    };
    sock.on('data', onData);
    sock.on('error', fail);
    const onClose = () => fail(new Error('the holder closed the socket before its Replay'));
    sock.on('close', onClose);
  });
}

/** Starts a detached holder for one session's shell and connects to it. */
export async function startHolder(o: { id: string; key: SessionKey; command: ShellCommand; cols: number; rows: number }): Promise<HeldShell> {
  const dir = ensureTerminalsDir(terminalsDir());
  const socket = socketPathOf(dir, o.id);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new Error(`the terminal socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter state dir (ELAB_STATE_DIR)`);
  }
  const spec: HolderSpec = { id: o.id, ...o.key, dir, command: o.command, cols: o.cols, rows: o.rows, orphanGraceMs: config().terminalOrphanMs };
  const logPath = join(dir, `${o.id}.log`);
  const logFd = openSync(logPath, 'w', 0o600);
  const program = await holderProgram(dir);
  const child = spawn(process.execPath, [program], {
    // A small environment of its own: the shell gets the driver's env, the holder needs no more.
    detached: true,
    stdio: ['pipe', 'pipe', logFd],
    cwd: '/',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
  });
  closeSync(logFd);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const why = () =>
      `${out.trim()} ${(() => {
        try {
          return readFileSync(logPath, 'utf8').trim();
        } catch {
          return '';
        }
      })()}`.trim() || 'no output';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the terminal holder did not start in ${START_TIMEOUT_MS} ms: ${why()}`));
    }, START_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start the terminal holder: ${e.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the terminal holder exited (${code}) before it was ready: ${why()}`));
    });
    child.stdin!.on('error', () => {
      /* an early exit is reported by 'exit' */
    });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.split('\n')[0]!);
      }
    });
    child.stdin!.end(JSON.stringify(spec));
  });
  child.removeAllListeners('exit');
  child.stdout!.destroy();
  child.unref();
  if (!line.startsWith('ready ')) throw new Error(`the terminal holder failed: ${line}`);
  const record = listRecords(dir).find((r) => r.id === o.id && r.holderPid === child.pid);
  if (!record || procStartTime(record.holderPid) !== record.holderStart) throw new Error(`the terminal holder ${o.id} wrote no record`);
  return connectHolder(record);
}
