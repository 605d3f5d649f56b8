import type { IncomingMessage, ServerResponse } from 'node:http';

/** Comments keep proxies (the web, nginx) from closing a quiet stream. */
export const SSE_HEARTBEAT_MS = 15_000;

export interface SseStream { send(event: string, data: unknown): void; closed: Promise<void>; end(): void }

/** Opens a text/event-stream answer; `closed` settles when the client goes away or `end` is called. */
export function openSse(req: IncomingMessage, res: ServerResponse): SseStream {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': open\n\n');
  let done = false;
  let resolve!: () => void;
  const closed = new Promise<void>((r) => { resolve = r; });
  const beat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(beat);
    res.end();
    resolve();
  };
  req.on('close', finish);
  res.on('close', finish);
  return {
    send(event, data) { if (!done) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`); },
    closed,
    end: finish,
  };
}
