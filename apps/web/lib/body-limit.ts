import { MAX_FILE_BYTES } from '@ebpf-lab/protocol';

/**
 * The web never holds more of a request body than its route can use. server.ts refuses a declared
 * Content-Length over the route's limit before Next sees the request; routes read bodies only
 * through readBody*, which stops a chunked (undeclared) body as soon as it passes the limit.
 * Without this one cookie-less 400 MB PUT grew the web by over 1 GB before it answered 401.
 */
/** JSON and form bodies (instructor calls, the join form, lab actions) are small. */
export const SMALL_BODY_BYTES = 64 * 1024;

/** The limit for a request: lab file saves may carry a whole file, everything else is small. */
export function bodyLimitFor(method: string | undefined, url: string | undefined): number {
  const path = (url ?? '').split('?')[0]!;
  return method === 'PUT' && /^\/api\/lab\/[^/]+\/files\/?$/.test(path) ? MAX_FILE_BYTES : SMALL_BODY_BYTES;
}

export class BodyTooLarge extends Error {
  readonly status = 413;
  constructor(readonly limit: number) {
    super(`the request body is over the ${limit}-byte limit for this route`);
    this.name = 'BodyTooLarge';
  }
}

type HeaderBag = { get(name: string): string | null } | Record<string, string | string[] | undefined>;
function contentLength(h: HeaderBag): string | null {
  if (typeof (h as { get?: unknown }).get === 'function') return (h as { get(n: string): string | null }).get('content-length');
  const v = (h as Record<string, string | string[] | undefined>)['content-length'];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

/** A 413 message when the declared Content-Length is over `limit` (checked before reading anything). */
export function declaredTooLarge(headers: HeaderBag, limit: number): string | null {
  const v = contentLength(headers);
  if (v === null || !/^\d+$/.test(v.trim()) || Number(v) <= limit) return null;
  return new BodyTooLarge(limit).message + `; this one declares ${v} bytes`;
}

/** The whole body, at most `limit` bytes: refuses by Content-Length first, then counts as it streams. */
export async function readBody(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  if (declaredTooLarge(req.headers, limit)) throw new BodyTooLarge(limit);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Stop taking data now; what was read is dropped with the chunks.
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** A JSON body (at most SMALL_BODY_BYTES); malformed JSON is `{}`, an oversized body throws BodyTooLarge. */
export async function readJsonBody(req: Request, limit = SMALL_BODY_BYTES): Promise<Record<string, unknown>> {
  const bytes = await readBody(req, limit);
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A form body (urlencoded or multipart, at most SMALL_BODY_BYTES); null when it is not a form. */
export async function readFormBody(req: Request, limit = SMALL_BODY_BYTES): Promise<FormData | null> {
  const bytes = await readBody(req, limit);
  const type = req.headers.get('content-type');
  if (!type) return null;
  return new Response(bytes, { headers: { 'content-type': type } }).formData().catch(() => null);
}

/** The 413 answer, JSON like the rest of the API; `connection: close` so the rest is not read. */
export function tooLargeResponse(e: BodyTooLarge): Response {
  return new Response(JSON.stringify({ error: e.message, hint: `send at most ${e.limit} bytes` }), {
    status: 413,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close' },
  });
}
