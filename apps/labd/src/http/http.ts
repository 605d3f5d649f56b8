import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { Invalid, NotFound, TooLarge } from '../errors.ts';
import { TransportError } from './errors.ts';

export const JSON_BODY_LIMIT = 64 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': data.length, 'cache-control': 'no-store' });
  res.end(data);
}

/**
 * After an early answer (413, 401) the client may still be sending. Reading and discarding a
 * bounded amount, for a bounded time, lets it see the answer instead of a reset; past either bound
 * the socket is cut. The connection is not marked `close`: Node would then shut the socket as soon
 * as the answer is out, while the client is still writing, and the client would see EPIPE.
 */
export function discardRest(req: IncomingMessage, _res: ServerResponse, maxBytes = 16 * 1024 * 1024, maxMs = 10_000): void {
  if (req.readableEnded) return;
  let seen = 0;
  const cut = () => req.socket.destroy();
  const timer = setTimeout(cut, maxMs);
  timer.unref();
  req.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > maxBytes) {
      clearTimeout(timer);
      cut();
    }
  });
  req.on('end', () => clearTimeout(timer));
  req.on('error', () => clearTimeout(timer));
  req.resume();
}

/**
 * Reads a request body up to `limit` bytes. A declared Content-Length over the limit is refused
 * before a byte is read, and a chunked body is refused as soon as it passes the limit, so an
 * oversized upload is never held in memory.
 */
export function readBody(req: IncomingMessage, limit: number, what = 'request body'): Promise<Buffer> {
  const tooBig = () => new TooLarge(`the ${what} is over the ${limit}-byte limit`, 'send a smaller body');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooBig());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooBig());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (e) => {
      if (!failed) {
        failed = true;
        reject(e);
      }
    });
  });
}

/** Parses a JSON body (an empty body is `{}`) against a zod schema; a bad field is a 400 naming it. */
export async function readJson<T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.infer<T>> {
  const raw = await readBody(req, JSON_BODY_LIMIT, 'JSON body');
  let value: unknown = {};
  if (raw.length) {
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new Invalid('body', 'the body is not valid JSON', 'send a JSON object (or nothing)');
    }
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const fields = r.error.issues.map((i) => i.path.join('.') || 'body');
    const msg = r.error.issues.map((i, n) => `${fields[n]}: ${i.message}`).join('; ');
    throw new Invalid(fields[0]!, `bad request body: ${msg}`, 'see docs/api.md for the fields of this endpoint');
  }
  return r.data;
}

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}
export type RouteHandler<P> = (ctx: RouteContext, principal: P) => Promise<void>;

interface Route<P> {
  method: string;
  path: string;
  handler: RouteHandler<P>;
  auth: (ctx: RouteContext) => P;
}

/**
 * Exact-path router: labd's API has no path parameters (the learner's lab comes from the token),
 * so a map lookup is all it needs. Unknown path → 404, known path with another method → 405.
 */
export class Router {
  private routes = new Map<string, Map<string, Route<unknown>>>();

  add<P>(method: string, path: string, auth: (ctx: RouteContext) => P, handler: RouteHandler<P>): this {
    if (!this.routes.has(path)) this.routes.set(path, new Map());
    this.routes.get(path)!.set(method, { method, path, auth, handler } as Route<unknown>);
    return this;
  }

  /** Every route as `METHOD /path`, the keys of packages/api's ENDPOINTS. */
  keys(): string[] {
    return [...this.routes.values()].flatMap((m) => [...m.values()].map((r) => `${r.method} ${r.path}`));
  }

  async dispatch(ctx: RouteContext): Promise<void> {
    const byMethod = this.routes.get(ctx.url.pathname);
    if (!byMethod) throw new NotFound(`no such endpoint: ${ctx.url.pathname}`, 'see docs/api.md');
    const route = byMethod.get(ctx.req.method ?? 'GET');
    if (!route) {
      ctx.res.setHeader('allow', [...byMethod.keys()].join(', '));
      throw new TransportError(405, `${ctx.req.method} is not allowed on ${ctx.url.pathname}`, `allowed: ${[...byMethod.keys()].join(', ')}`);
    }
    await route.handler(ctx, route.auth(ctx));
  }
}
