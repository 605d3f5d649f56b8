import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

const PING_INTERVAL_MS = 30_000;

/** Close reasons for what the ws library refuses on its own (it closes with a bare code). */
const REASONS: Record<number, string> = {
  1002: 'malformed frame',
  1007: 'invalid UTF-8 in a text frame',
  1009: 'frame too big',
};

export type Attach = (ws: WebSocket, req: IncomingMessage, url: URL) => Promise<void>;

export interface WsEndpoint {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  close(): void;
}

/**
 * A WebSocket endpoint on labd's HTTP server: takes upgrades, drops sockets that stop answering
 * pings (a laptop that went to sleep must not pin a session forever), and closes every socket on
 * shutdown. What a socket may do is entirely `attach`'s business.
 */
export function wsEndpoint(name: string, maxPayload: number, attach: Attach): WsEndpoint {
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  const alive = new WeakSet<WebSocket>();
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, PING_INTERVAL_MS);
  pinger.unref();

  return {
    handleUpgrade(req, socket, head, url) {
      // A socket error before the handshake completes (a reset mid-upgrade) ends only that socket.
      socket.on('error', () => socket.destroy());
      wss.handleUpgrade(req, socket, head, (ws) => {
        guard(name, ws, maxPayload);
        alive.add(ws);
        ws.on('pong', () => alive.add(ws));
        attach(ws, req, url).catch((e: unknown) => {
          process.stderr.write(`labd: ${name} attach failed: ${(e as Error).stack ?? String(e)}\n`);
          ws.close(1011, 'internal error');
        });
      });
    },
    close() {
      clearInterval(pinger);
      for (const ws of wss.clients) ws.close(1001, 'labd is shutting down');
      wss.close();
    },
  };
}

/**
 * An oversized or malformed frame makes the ws library close the socket (1009, 1002, 1007) and
 * then emit 'error' on it; with no listener that error would crash labd and every learner's
 * terminal with it. The listener ends that one socket; the close gets a reason a client can show.
 */
function guard(name: string, ws: WebSocket, maxPayload: number): void {
  const close = ws.close.bind(ws);
  ws.close = (code?: number, reason?: string | Buffer) => {
    const why = reason ?? (code === 1009 ? `frame over the ${maxPayload}-byte limit` : code !== undefined ? REASONS[code] : undefined);
    close(code, why);
  };
  ws.on('error', (e: Error & { code?: string }) => {
    process.stderr.write(`labd: ${name} socket: ${e.code ?? 'error'}: ${e.message}\n`);
    if (ws.readyState === WebSocket.OPEN) ws.close(1011, 'socket error');
  });
}
