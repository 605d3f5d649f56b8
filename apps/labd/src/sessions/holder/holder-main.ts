/**
 * The terminal holder: one per terminal session, started detached by labd (own session and
 * process group), so the shell and its scrollback outlive labd. It owns the pty and a bounded
 * recorder, and serves one labd at a time on a Unix socket (0600 in a 0700 root directory) with
 * length-prefixed terminal protocol frames. It exits when its shell exits, when told to
 * (SIGTERM/SIGHUP), or when no labd has been connected for the orphan grace period.
 *
 * Two ways to serve a labd, chosen by labd's first frame (a Hello):
 * - direct: labd has copied the pty's master fd out of this process (pidfd_getfd, see take-fd.ts)
 *   and reads and writes it itself, so a keystroke never wakes the holder. The holder stops reading
 *   the master and keeps the scrollback from the output labd mirrors back (Output frames), off the
 *   keystroke's path; it still resizes, reports the exit code and keeps the shell when labd goes.
 * - relay: the holder reads and writes the pty and relays frames (labd could not copy the fd).
 * When a direct labd goes away the holder reads the master again, so nothing the shell prints while
 * no labd is there is lost.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { encodeExit, encodeText, Op, type Frame } from '@ebpf-lab/protocol';
import { spawnShell } from '../../drivers/shell.ts';
import type { ShellCommand } from '../../drivers/types.ts';
import { Recorder } from '../recorder.ts';
import { procStartTime, removeRecord, socketPathOf, writeRecord } from './records.ts';
import { WireReader, wireFrame } from './wire.ts';

/** The parts of node-pty's master stream (a net.Socket) that stopping a read at once needs. */
interface PtyStream {
  _handle?: { reading: boolean; readStop(): number; readStart(): number };
  readableLength: number;
  read(): unknown;
}

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
  let clientDirect = false; // the connected labd reads the master itself
  let orphanTimer: NodeJS.Timeout | undefined;
  let orphaned = false;

  // node-pty reads the master through a net.Socket; pausing that stream alone still lets one more
  // read land in its buffer, which a direct labd would never see. Direct mode stops the read at once
  // and first hands on (to the recorder) whatever the stream already holds.
  const ptyStream = (shell as unknown as { _socket?: PtyStream })._socket;
  const stopReadingNow = (): boolean => {
    if (!ptyStream?._handle) return false;
    shell.pause();
    ptyPaused = true;
    if (ptyStream._handle.reading) {
      ptyStream._handle.reading = false;
      ptyStream._handle.readStop();
    }
    while (ptyStream.readableLength > 0 && ptyStream.read() !== null); // read() emits 'data'
    return true;
  };
  const updateFlow = () => {
    const want = client !== null && (clientDirect || labdPaused || socketFull);
    if (want === ptyPaused) return;
    ptyPaused = want;
    if (want) return void shell.pause();
    shell.resume();
    // After a stop at once the stream still believes a read is pending and would not start one.
    if (ptyStream?._handle && !ptyStream._handle.reading) {
      ptyStream._handle.reading = true;
      ptyStream._handle.readStart();
    }
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
  const masterFd = (shell as unknown as { fd?: number }).fd;
  shell.onExit(({ exitCode }) => finish(exitCode));

  const handle = (f: Frame) => {
    switch (f.op) {
      case Op.Output:
        // A direct labd's copy of what it read from the master: the scrollback for the next labd.
        if (clientDirect) recorder.push(f.text);
        break;
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

  const hello = (direct: boolean) => encodeText(Op.Hello, JSON.stringify({ sessionId: spec.id, reattached: everConnected, node: spec.node, direct }));

  /** Serves a labd once its Hello said whether it reads the master itself. */
  const serve = (sock: Socket, reader: WireReader, wantsDirect: boolean) => {
    // One labd at a time: a newer connection (a restarted labd) replaces the old one.
    if (client) client.destroy();
    client = null;
    clearTimeout(orphanTimer);
    labdPaused = false;
    socketFull = false;
    clientDirect = wantsDirect && stopReadingNow();
    client = sock;
    updateFlow();
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
      clientDirect = false;
      labdPaused = false;
      socketFull = false;
      updateFlow(); // nobody watching (or reading the master): the shell runs free into the bounded recorder
      if (exitCode === null) startOrphanTimer();
    });
    send(hello(clientDirect));
    send(encodeText(Op.Replay, recorder.text()));
    everConnected = true;
  };

  /** The shell is gone already: this labd gets what it printed and how it ended, then we go. */
  const endedReply = (sock: Socket, code: number) => {
    sock.end(Buffer.concat([wireFrame(hello(false)), wireFrame(encodeText(Op.Replay, recorder.text())), wireFrame(encodeExit(code))]), done);
  };

  const server = createServer((sock) => {
    sock.on('error', (e) => log(`labd socket: ${e.message}`));
    if (exitCode !== null) return endedReply(sock, exitCode);
    // labd speaks first: its Hello says whether it took the master fd (direct) or wants frames.
    const reader = new WireReader();
    const timer = setTimeout(() => sock.destroy(), 10_000);
    const first = (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        log(`bad frame from labd: ${(e as Error).message}`);
        sock.destroy();
        return;
      }
      if (frames.length === 0) return;
      clearTimeout(timer);
      sock.off('data', first);
      const [h, ...rest] = frames;
      if (h!.op !== Op.Hello) {
        log(`labd's first frame is opcode 0x${h!.op.toString(16)}, not Hello`);
        sock.destroy();
        return;
      }
      const wantsDirect = h!.op === Op.Hello && h!.hello.direct === true;
      if (sock.destroyed) return;
      if (exitCode !== null) return endedReply(sock, exitCode);
      serve(sock, reader, wantsDirect);
      rest.forEach(handle);
    };
    sock.on('data', first);
    sock.on('close', () => clearTimeout(timer));
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
      ...(masterFd !== undefined ? { masterFd } : {}),
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
