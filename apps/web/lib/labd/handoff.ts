import type { Duplex } from 'node:stream';

/** What a net.Socket's libuv handle offers here (Node's internals, stable since Node 12). */
interface TcpHandle {
  fd?: number;
  reading?: boolean;
  readStop?(): number;
  readStart?(): number;
}
const handleOf = (socket: Duplex): TcpHandle | undefined => (socket as unknown as { _handle?: TcpHandle })._handle;

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;

/**
 * Whether labd may take the browser's socket over (docs/architecture.md § Terminal protocol): only a
 * labd on this host can copy it out of this process, and only a plain TCP socket that this process
 * has not read past the upgrade request can be served by someone else (TLS state lives here).
 */
export function canHandOff(labdUrl: string, socket: Duplex, head: Buffer): boolean {
  const url = new URL(labdUrl);
  if (url.protocol !== 'http:' || !LOOPBACK_HOST.test(url.hostname)) return false;
  if ((socket as { encrypted?: boolean }).encrypted || head.length || socket.readableLength) return false;
  const fd = handleOf(socket)?.fd;
  return typeof fd === 'number' && fd > 2;
}

/**
 * Stops reading the browser's socket and returns the handoff header's value (`<pid>:<fd>`, packages/api
 * terminal-handoff.ts). From here until labd answers, nothing the browser sends is read by this
 * process: after a handoff all of it must reach labd's copy of the socket.
 */
export function offerSocket(socket: Duplex): string | null {
  const h = handleOf(socket);
  if (typeof h?.fd !== 'number' || typeof h.readStop !== 'function') return null;
  // Node's own flag: with it false, a later resume() (the splice's pipe) starts reading again.
  h.reading = false;
  if (h.readStop() !== 0) return null;
  return `${process.pid}:${h.fd}`;
}

/**
 * labd declined (it answered 101 on its own connection): the web splices, reading again. Started on
 * the handle itself: the stream may still count a read as pending from before the stop and would
 * then never ask the handle again.
 */
export function resumeSocket(socket: Duplex): void {
  const h = handleOf(socket);
  if (!h || h.reading || typeof h.readStart !== 'function') return;
  h.reading = true;
  if (h.readStart() !== 0) socket.destroy();
}

/**
 * labd took the socket: this process's copy goes without a byte written. destroy() closes it through
 * libuv, which also takes the fd out of this process's epoll set (the socket lives on in labd, so
 * the kernel would keep waking us for it otherwise); closing one of two fds sends no FIN.
 */
export function releaseSocket(socket: Duplex): void {
  socket.destroy();
}
