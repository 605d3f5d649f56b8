import { closeSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { TERMINAL_HANDOFF_HEADER, TERMINAL_HANDOFF_VALUE } from '@ebpf-lab/api';
import { handoffProcessProblem, holdsSocket, tcpInode } from './socket-owner.ts';

/** apps/labd/native/pidfd.c. */
export interface PidfdAddon {
  open(pid: number): number;
  getfd(pidfd: number, fd: number): number;
  getpty(pidfd: number, fd: number): number;
}

/** The addon, or why there is none (not built, built for another Node, not Linux). */
export function loadPidfdAddon(path: string): PidfdAddon | string {
  try {
    // Loaded by path at run time: the esbuild bundle must not try to bundle a .node file.
    const m = { exports: {} as Partial<PidfdAddon> };
    process.dlopen(m, path);
    if (typeof m.exports.open !== 'function' || typeof m.exports.getfd !== 'function' || typeof m.exports.getpty !== 'function')
      return `${path} is not the pidfd addon`;
    return m.exports as PidfdAddon;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ERR_DLOPEN_FAILED' && /No such file/.test((e as Error).message)
      ? `${path} is not built (npm run build:labd builds it)`
      : `${path} does not load: ${(e as Error).message}`;
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export type HandoffResult = { socket: Socket } | { refused: string };

/**
 * The web's terminal handoff (packages/api terminal-handoff.ts): when an upgrade request from
 * loopback names `<pid>:<fd>`, copies that socket out of process `pid` so labd can answer the
 * browser itself, with the web's splice out of every keystroke's path. The pid must hold the very
 * connection the request arrived on (socket-owner.ts): a caller can only hand over its own
 * sockets, never make root copy another process's. Returns null when the request asks for no
 * handoff; a refusal says why, and the caller serves the request as before (the web splices).
 */
export function handoffTaker(addonPath: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  let addon: PidfdAddon | string | undefined;
  let toldMissing = false;

  function take(req: IncomingMessage, head: Buffer): HandoffResult | null {
    const value = req.headers[TERMINAL_HANDOFF_HEADER];
    if (value === undefined) return null;
    const m = typeof value === 'string' ? TERMINAL_HANDOFF_VALUE.exec(value) : null;
    if (!m) return { refused: `${TERMINAL_HANDOFF_HEADER} is not <pid>:<fd>` };
    const pid = Number(m[1]);
    const fd = Number(m[2]);
    const conn = req.socket;
    if (!LOOPBACK.test(conn.remoteAddress ?? '')) return { refused: `the request came from ${conn.remoteAddress}, not loopback` };
    // Bytes after the request's headers were meant for the web's socket to labd: nothing to hand over.
    if (head.length) return { refused: 'the request carried bytes after its headers' };
    addon ??= loadPidfdAddon(addonPath);
    if (typeof addon === 'string') return { refused: addon };
    let pidfd: number;
    try {
      pidfd = addon.open(pid); // first: the checks below are then about this very process
    } catch (e) {
      return { refused: `pidfd_open(${pid}): ${(e as Error).message}` };
    }
    let copy: number;
    try {
      // The caller's end of this connection is local = its address, remote = ours.
      const inode = tcpInode({ address: conn.remoteAddress!, port: conn.remotePort! }, { address: conn.localAddress!, port: conn.localPort! });
      if (inode === null) return { refused: 'the connection this request came on is not in /proc/net/tcp' };
      if (!holdsSocket(pid, inode)) return { refused: `process ${pid} does not hold the connection this request came on` };
      const problem = handoffProcessProblem(pid);
      if (problem) return { refused: problem };
      copy = addon.getfd(pidfd, fd);
    } catch (e) {
      return { refused: `fd ${fd} of process ${pid}: ${(e as Error).message}` };
    } finally {
      closeSync(pidfd);
    }
    try {
      const socket = new Socket({ fd: copy, readable: true, writable: true });
      socket.setNoDelay(true); // keystrokes are tiny writes: Nagle would hold echoes up to 40 ms
      return { socket };
    } catch (e) {
      closeSync(copy);
      return { refused: `fd ${fd} of process ${pid} cannot be served: ${(e as Error).message}` };
    }
  }

  return {
    /** take() with its refusals logged (a missing addon once: it stays missing). */
    take(req: IncomingMessage, head: Buffer): Socket | null {
      let r: HandoffResult | null;
      try {
        r = take(req, head);
      } catch (e) {
        r = { refused: `unexpected: ${(e as Error).message}` }; // inside labd's upgrade event: never a crash
      }
      if (!r) return null;
      if ('socket' in r) return r.socket;
      const missing = typeof addon === 'string' && r.refused === addon;
      if (!missing || !toldMissing) log(`labd: terminal handoff refused, the web splices instead: ${r.refused}`);
      toldMissing ||= missing;
      return null;
    },
    /** For tests: the reason or the socket, unlogged. */
    attempt: take,
  };
}

export type HandoffTaker = ReturnType<typeof handoffTaker>;
