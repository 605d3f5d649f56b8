/**
 * The terminal holder: one per terminal session, started detached by labd (own session and
 * process group), so the shell and its scrollback outlive labd. It owns the pty and a bounded
 * recorder, and serves one labd at a time on a Unix socket (0600 in a 0700 root directory) with
 * length-prefixed terminal protocol frames. It exits when its shell exits, when told to
 * (SIGTERM/SIGHUP), or when no labd has been connected for the orphan grace period.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { encodeExit, encodeText, Op, type Frame } from '@ebpf-lab/protocol';
import { spawnShell } from '../../drivers/shell.ts';
import type { ShellCommand } from '../../drivers/types.ts';
import { Recorder } from '../recorder.ts';
import { procStartTime, removeRecord, socketPathOf, writeRecord } from './records.ts';
import { WireReader, wireFrame } from './wire.ts';

export interface HolderSpec {
  id: string;
  learnerId: string;
  instanceId: string;
  node: string;
  /** The directory of records and sockets (labd's state dir /terminals). */
  dir: string;
  command: ShellCommand;
  cols: number;
  rows: number;
  /** How long the holder waits for a labd to (re)connect before it ends the shell. */
  orphanGraceMs: number;
}

const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} holder ${process.pid}: ${msg}\n`);

export function runHolder(spec: HolderSpec): void {
  process.title = `elab-pty-holder ${spec.id}`;
  const socketPath = socketPathOf(spec.dir, spec.id);
  const shell = spawnShell(spec.command, { cols: spec.cols, rows: spec.rows });
  const recorder = new Recorder();
  let client: Socket | null = null;
  let everConnected = false;
  let labdPaused = false; // labd asked (its learner sockets are behind the high watermark)
  let socketFull = false; // labd is not reading fast enough: the socket's buffer is full
  let ptyPaused = false;
  let orphanTimer: NodeJS.Timeout | undefined;
  let orphaned = false;

  const updateFlow = () => {
    const want = client !== null && (labdPaused || socketFull);
    if (want === ptyPaused) return;
    ptyPaused = want;
    if (want) shell.pause();
    else shell.resume();
  };
  const startOrphanTimer = () => {
    clearTimeout(orphanTimer);
    orphanTimer = setTimeout(() => {
      orphaned = true;
      log('no labd for the grace period; ending the shell');
      hangUp();
    }, spec.orphanGraceMs);
  };
  const send = (frame: Uint8Array) => {
    if (client && !client.destroyed && !client.write(wireFrame(frame))) {
      socketFull = true;
      updateFlow();
    }
  };
  const hangUp = () => {
    try {
      shell.kill('SIGHUP');
    } catch {
      /* already gone */
    }
    // A shell ignoring SIGHUP must not keep the holder alive.
    setTimeout(() => {
      try {
        shell.kill('SIGKILL');
      } catch {
        /* gone */
      }
      finish(129);
    }, 2000).unref();
  };
  let exitCode: number | null = null;
  const done = () => {
    server.close();
    removeRecord(spec.dir, spec.id);
    process.exit(0);
  };
  const finish = (code: number) => {
    if (exitCode !== null) return;
    exitCode = code;
    clearTimeout(orphanTimer);
    if (client && !client.destroyed) {
      client.end(wireFrame(encodeExit(code)), done);
      setTimeout(done, 1000).unref(); // a labd that never reads must not hold us
    } else if (!everConnected && !orphaned) {
      // The shell ended before labd connected (e.g. its lab is gone): wait a little so labd can
      // still show the learner why, from the Replay, and the exit code.
      setTimeout(done, 10_000);
    } else {
      done();
    }
  };

  shell.onData((d) => {
    recorder.push(d);
    send(encodeText(Op.Output, d));
  });
  shell.onExit(({ exitCode }) => finish(exitCode));

  const handle = (f: Frame) => {
    switch (f.op) {
      case Op.Input:
        shell.write(f.text);
        break;
      case Op.Resize:
        shell.resize(f.cols, f.rows);
        break;
      case Op.Pause:
        labdPaused = true;
        updateFlow();
        break;
      case Op.Resume:
        labdPaused = false;
        updateFlow();
        break;
      default:
        break; // acks and server opcodes mean nothing here
    }
  };

  const server = createServer((sock) => {
    sock.on('error', (e) => log(`labd socket: ${e.message}`));
    if (exitCode !== null) {
      // The shell is gone already: this labd gets what it printed and how it ended, then we go.
      sock.end(
        Buffer.concat([
          wireFrame(encodeText(Op.Hello, JSON.stringify({ sessionId: spec.id, reattached: everConnected, node: spec.node }))),
          wireFrame(encodeText(Op.Replay, recorder.text())),
          wireFrame(encodeExit(exitCode)),
        ]),
        done,
      );
      return;
    }
    // One labd at a time: a newer connection (a restarted labd) replaces the old one.
    if (client) client.destroy();
    client = sock;
    clearTimeout(orphanTimer);
    labdPaused = false;
    socketFull = false;
    updateFlow();
    const reader = new WireReader();
    sock.on('data', (chunk) => {
      try {
        for (const f of reader.push(chunk)) handle(f);
      } catch (e) {
        log(`bad frame from labd: ${(e as Error).message}`);
        sock.destroy();
      }
    });
    sock.on('drain', () => {
      if (client === sock) {
        socketFull = false;
        updateFlow();
      }
    });
    sock.on('close', () => {
      if (client !== sock) return;
      client = null;
      labdPaused = false;
      socketFull = false;
      updateFlow(); // nobody watching: the shell runs free into the bounded recorder
      if (exitCode === null) startOrphanTimer();
    });
    send(encodeText(Op.Hello, JSON.stringify({ sessionId: spec.id, reattached: everConnected, node: spec.node })));
    send(encodeText(Op.Replay, recorder.text()));
    everConnected = true;
  });
  server.on('error', (e) => {
    log(`socket ${socketPath}: ${e.message}`);
    hangUp();
  });

  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const)
    process.on(sig, () => {
      log(`${sig}: ending the shell`);
      hangUp();
    });

  // labd may be gone before it reads our ready line or after: a broken pipe is no reason to die.
  process.stdout.on('error', () => {});
  process.stdin.on('error', () => {});
  rmSync(socketPath, { force: true });
  const oldMask = process.umask(0o177); // the socket is created 0600, never briefly wider
  server.listen(socketPath, () => {
    process.umask(oldMask);
    chmodSync(socketPath, 0o600);
    writeRecord(spec.dir, {
      id: spec.id,
      learnerId: spec.learnerId,
      instanceId: spec.instanceId,
      node: spec.node,
      holderPid: process.pid,
      holderStart: procStartTime(process.pid)!,
      shellPid: shell.pid,
      socket: socketPath,
    });
    startOrphanTimer();
    // labd waits for this line; after it, stdout is closed so labd's exit cannot hurt us.
    process.stdout.end(`ready ${shell.pid}\n`);
  });
}

/** Reads the spec (JSON) from stdin, which labd closes after writing it. */
export async function main(): Promise<void> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  process.stdin.destroy();
  let spec: HolderSpec;
  try {
    spec = JSON.parse(text) as HolderSpec;
  } catch (e) {
    process.stdout.end(`error: the holder spec on stdin is not JSON: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  runHolder(spec);
}
