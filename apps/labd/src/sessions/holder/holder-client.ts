import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { encodeText, Op } from '@ebpf-lab/protocol';
import type { ShellCommand } from '../../drivers/types.ts';
import type { SessionKey } from '../registry.ts';
import { config } from '../../config.ts';
import { holderProgram } from './bundle.ts';
import type { HolderSpec } from './holder-main.ts';
import { terminalsDir } from './holders.ts';
import { DirectPty } from './direct-pty.ts';
import { HolderPty } from './holder-pty.ts';
import { ensureTerminalsDir, listRecords, MAX_SOCKET_PATH, procStartTime, socketPathOf, type HolderRecord } from './records.ts';
import { takeHolderPty } from './take-fd.ts';
import { WireReader, wireFrame } from './wire.ts';

export { HolderPty };

const START_TIMEOUT_MS = 20_000;

export interface HeldShell {
  pty: HolderPty;
  replay: string;
}

/**
 * Connects to a live holder; resolves once its Hello and Replay (the scrollback) have arrived. Where
 * labd can copy the holder's pty master (same host, root), it reads the pty itself (DirectPty) and
 * the holder stays off the keystroke's path; else the holder relays frames (HolderPty).
 */
export function connectHolder(record: HolderRecord, opts: { timeoutMs?: number; relay?: boolean } = {}): Promise<HeldShell> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    let master = opts.relay ? null : takeHolderPty(record);
    const sock = connect(record.socket);
    const ours = { sessionId: record.id, reattached: false, node: record.node, direct: master !== null };
    sock.write(wireFrame(encodeText(Op.Hello, JSON.stringify(ours))));
    const reader = new WireReader();
    let hello = false;
    let direct = false;
    const dropMaster = () => {
      if (master !== null) closeSync(master);
      master = null;
    };
    const fail = (e: Error) => {
      clearTimeout(timer);
      dropMaster();
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
          direct = f.hello.direct === true;
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
        const rest = frames.slice(i + 1);
        if (direct && master !== null) {
          resolve({ pty: new DirectPty(sock, record, reader, rest, master), replay: f.text });
        } else {
          dropMaster(); // the holder relays (it could not stop reading, or the shell has ended)
          resolve({ pty: new HolderPty(sock, record, reader, rest), replay: f.text });
        }
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
