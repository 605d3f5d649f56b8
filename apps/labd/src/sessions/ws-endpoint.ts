import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

const PING_INTERVAL_MS = 30_000;

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
      if (!alive.has(ws)) { ws.terminate(); continue; }
      alive.delete(ws);
      ws.ping();
    }
  }, PING_INTERVAL_MS);
  pinger.unref();

  return {
    handleUpgrade(req, socket, head, url) {
      wss.handleUpgrade(req, socket, head, (ws) => {
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
