import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SseEventName, SseKey } from '@ebpf-lab/api';
import { checkEvent } from './contract.ts';

/** Comments keep proxies (the web, nginx) from closing a quiet stream. */
export const SSE_HEARTBEAT_MS = 15_000;

export interface SseStream<K extends SseKey> {
  /** Sends one event ('message': a bare `data:` line); nothing once the stream is closed. */
  send(event: SseEventName<K>, data: unknown): void;
  closed: Promise<void>;
  end(): void;
}

/**
 * Opens the text/event-stream answer of `key`; `closed` settles when the client goes away or `end`
 * is called. Under ELAB_CHECK_RESPONSES=1 each event is checked against packages/api's SSE_EVENTS
 * first: the headers are out by then, so an event that breaks the contract is replaced by an
 * `error` event naming the event and the field, logged, and the stream ends (a test sees it at once).
 */
export function openSse<K extends SseKey>(req: IncomingMessage, res: ServerResponse, key: K): SseStream<K> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': open\n\n');
  let done = false;
  let resolve!: () => void;
  const closed = new Promise<void>((r) => {
    resolve = r;
  });
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
  const write = (event: string, data: unknown) => res.write(`${event === 'message' ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`);
  return {
    send(event, data) {
      if (done) return;
      try {
        checkEvent(key, event, data);
      } catch (e) {
        process.stderr.write(`labd: ${(e as Error).message}\n`);
        write('error', { error: (e as Error).message });
        finish();
        return;
      }
      write(event, data);
    },
    closed,
    end: finish,
  };
}
