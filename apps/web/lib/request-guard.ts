import { labdEnv } from './labd/env';

/**
 * The one place the web decides whether a request is for it and from its own pages. Host: only
 * the configured public origins (ELAB_WEB_ORIGIN) and loopback names on the port the web listens
 * on; anything else is a DNS-rebinding attempt or a misdirected request (421). Origin: a
 * state-changing request or a WebSocket upgrade must come from one of those origins (403).
 */
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The header server.ts sets to the peer address (any copy sent by the client is dropped first). */
export const CLIENT_HEADER = 'x-elab-client';

export interface Refusal {
  status: 421 | 403;
  message: string;
}

let cache: { hosts: Set<string>; origins: Set<string> } | undefined;

function allowed(): { hosts: Set<string>; origins: Set<string> } {
  if (cache) return cache;
  const { publicOrigins, port } = labdEnv();
  const hosts = new Set<string>();
  const origins = new Set<string>();
  for (const name of LOOPBACK) {
    for (const h of [`${name}:${port}`, ...(port === 80 ? [name] : [])]) {
      hosts.add(h);
      origins.add(`http://${h}`);
      origins.add(`https://${h}`);
    }
  }
  for (const o of publicOrigins) {
    hosts.add(new URL(o).host);
    origins.add(o);
  }
  return (cache = { hosts, origins });
}

/** The allowed Host values (lower case, with port unless it is the scheme's default). */
export const allowedHosts = (): string[] => [...allowed().hosts];

export function hostAllowed(host: string | null | undefined): boolean {
  return !!host && allowed().hosts.has(host.toLowerCase());
}

export function originAllowed(origin: string | null | undefined): boolean {
  return !!origin && allowed().origins.has(origin.toLowerCase());
}

type HeaderBag = { get(name: string): string | null } | Record<string, string | string[] | undefined>;
function header(h: HeaderBag, name: string): string | null {
  if (typeof (h as { get?: unknown }).get === 'function') return (h as { get(n: string): string | null }).get(name);
  const v = (h as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

/**
 * Whether an HTTP request may go on. Host first (421), then Origin for state-changing methods:
 * present, it must be ours; absent, the request must not come from a browser on another site
 * (browsers always send Origin, or at least Sec-Fetch-Site, with a cross-site write).
 */
export function requestRefusal(method: string | undefined, headers: HeaderBag): Refusal | null {
  const host = header(headers, 'host');
  if (!hostAllowed(host))
    return {
      status: 421,
      message: `this server does not answer for host "${(host ?? '').slice(0, 100)}"; open it at ${allowedHosts()[0]} or set ELAB_WEB_ORIGIN`,
    };
  if (SAFE.has((method ?? 'GET').toUpperCase())) return null;
  const origin = header(headers, 'origin');
  if (origin !== null) return originAllowed(origin) ? null : { status: 403, message: 'cross-site request refused' };
  const site = header(headers, 'sec-fetch-site');
  return site === null || site === 'same-origin' || site === 'none' ? null : { status: 403, message: 'cross-site request refused' };
}

/** Whether a WebSocket upgrade may go on: our Host, and an Origin that is ours (browsers always send one). */
export function upgradeRefusal(headers: HeaderBag): Refusal | null {
  const host = header(headers, 'host');
  if (!hostAllowed(host)) return { status: 421, message: `this server does not answer for host "${(host ?? '').slice(0, 100)}"` };
  return originAllowed(header(headers, 'origin')) ? null : { status: 403, message: 'cross-origin socket refused' };
}

/** The browser's address as server.ts recorded it, for per-client limits in labd. */
export function clientOf(headers: HeaderBag): string | undefined {
  return header(headers, CLIENT_HEADER)?.slice(0, 100) || undefined;
}

/**
 * The client's address for labd's per-client limits: the peer, or behind a trusted reverse proxy
 * on loopback (ELAB_TRUST_PROXY=1) the address that proxy appended to X-Forwarded-For.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trustProxy = labdEnv().trustProxy): string | undefined {
  const fromProxy = trustProxy && peer && /^(127\.|::1$|::ffff:127\.)/.test(peer);
  const last = fromProxy
    ? String(forwardedFor ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .pop()
    : undefined;
  return (last ?? peer)?.slice(0, 100);
}
