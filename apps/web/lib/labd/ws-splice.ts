import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TERMINAL_HANDOFF_HEADER, TERMINAL_HANDOFF_TAKEN } from '@ebpf-lab/api';
import { upgradeRefusal } from '../request-guard';
import { releaseSocket, resumeSocket } from './handoff';

/** Answers a WebSocket upgrade with an HTTP error and closes the socket. */
export function refuse(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed || !socket.writable) return void socket.destroy();
  // A socket offered for the handoff was not being read: without reading, the browser's close
  // would never be seen and the socket never freed.
  resumeSocket(socket);
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

/** The browser's Origin, if it is one of this server's own (lib/request-guard.ts decides). */
export function sameOrigin(req: IncomingMessage): string | null {
  return upgradeRefusal(req.headers) ? null : (req.headers.origin ?? null);
}

function statusLine(res: IncomingMessage): string {
  const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}`];
  for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Opens the upgrade to labd and, after its 101, splices the two sockets byte for byte: frames,
 * flow control and close codes stay labd's and the browser's. A refusal from labd (401/403/404/409)
 * is passed through with its status and reason. `handoff` (handoff.ts offerSocket: the browser's
 * socket no longer read here) offers labd the socket itself: when labd answers that it took it,
 * the browser already has labd's 101 and this process lets go of its copy without writing.
 */
export function spliceUpgrade(target: URL, headers: Record<string, string | string[]>, socket: Duplex, head: Buffer, handoff: string | null = null): void {
  if (handoff) headers = { ...headers, [TERMINAL_HANDOFF_HEADER]: handoff };
  const upstream = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method: 'GET', headers });
  upstream.on('upgrade', (res, labdSocket, labdHead) => {
    if (handoff) resumeSocket(socket); // labd declined the handoff: splice as always
    // Errors on either socket end both, never the web: a splice has no one to report to.
    labdSocket.on('error', () => socket.destroy());
    socket.on('error', () => labdSocket.destroy());
    if (socket.destroyed) return void labdSocket.destroy(); // the browser left during the handshake
    socket.write(statusLine(res));
    if (labdHead.length) socket.write(labdHead);
    if (head.length) labdSocket.write(head);
    // Keystrokes are tiny writes: Nagle would add up to 40 ms to every echo.
    for (const s of [socket, labdSocket]) (s as Socket).setNoDelay?.(true);
    socket.on('close', () => labdSocket.destroy());
    labdSocket.on('close', () => socket.destroy());
    labdSocket.pipe(socket);
    socket.pipe(labdSocket);
  });
  upstream.on('response', (res) => {
    res.on('error', () => socket.destroy());
    if (handoff && res.statusCode === 204 && res.headers[TERMINAL_HANDOFF_HEADER] === TERMINAL_HANDOFF_TAKEN) {
      res.resume();
      return releaseSocket(socket);
    }
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => refuse(socket, res.statusCode ?? 502, Buffer.concat(chunks).toString('utf8').slice(0, 500) || (res.statusMessage ?? 'refused')));
  });
  upstream.on('error', (e) => refuse(socket, 502, `labd is not reachable: ${e.message}`));
  // The browser leaving before labd answered ends the pending request too.
  socket.once('close', () => upstream.destroy());
  upstream.end();
}
