import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TERMINAL_HANDOFF_HEADER } from '@ebpf-lab/api';
import { labdEnv } from './env';
import { canHandOff, offerSocket } from './handoff';
import { sessionFor } from './session';
import { refuse, sameOrigin, spliceUpgrade } from './ws-splice';

export const TERMINAL_PATH = '/api/lab/terminal';
const LAB_ID = /^[a-z0-9][a-z0-9-]*$/;
const NODE = /^[a-z][a-z0-9-]{0,14}$/;
// Hop-by-hop and credential headers are never forwarded from the browser to labd, nor a handoff
// header of the client's own: it could name another learner's socket in this process.
const DROP = new Set(['host', 'cookie', 'authorization', 'origin', 'connection', 'upgrade', 'content-length', TERMINAL_HANDOFF_HEADER]);

/**
 * WS /api/lab/terminal?lab=L&node=N → labd's /v1/terminal?node=N with the learner's token in the
 * Authorization header and the web's Origin (forwardTerminal).
 */
export async function proxyTerminalUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on('error', () => socket.destroy());
  const { labdUrl, webOrigin, terminalHandoff } = labdEnv();
  // Before anything can be read: from here on all the browser sends must be left for labd.
  const handoff = terminalHandoff ? offerLocal(labdUrl, socket, head) : null;
  const url = new URL(req.url ?? '/', 'http://web.invalid');
  const lab = url.searchParams.get('lab') ?? '';
  const node = url.searchParams.get('node') ?? '';
  if (!LAB_ID.test(lab) || (node && !NODE.test(node))) return refuse(socket, 400, 'bad lab or node');
  const origin = sameOrigin(req);
  if (!origin) return refuse(socket, 403, 'cross-origin terminal refused');

  let token: string;
  try {
    const session = await sessionFor(req.headers.cookie, lab);
    if (!session) return refuse(socket, 401, 'no learner yet: open the lesson page to start a lab');
    token = session.token;
  } catch (e) {
    return refuse(socket, 502, `labd: ${(e as Error).message}`);
  }
  forwardTerminal(req, socket, head, { labdUrl, token, origin: webOrigin ?? origin, node, handoff });
}

/** The handoff header's value when labd can take this socket (lib/labd/handoff.ts), which is then no longer read here. */
export function offerLocal(labdUrl: string, socket: Duplex, head: Buffer): string | null {
  return canHandOff(labdUrl, socket, head) ? offerSocket(socket) : null;
}

/**
 * The upgrade to labd for a checked browser request: the browser's handshake headers, the
 * learner's token, the web's Origin. A labd on this host takes the browser's socket over when
 * `handoff` offers it (keystrokes then go straight to labd); otherwise, after labd's 101, both
 * sockets are spliced byte for byte: frames, flow control and close codes are labd's and the
 * browser's, untouched.
 */
export function forwardTerminal(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  o: { labdUrl: string; token: string; origin: string; node?: string; handoff: string | null },
): void {
  const target = new URL(`/v1/terminal${o.node ? `?node=${encodeURIComponent(o.node)}` : ''}`, o.labdUrl);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROP.has(k)) headers[k] = v;
  Object.assign(headers, { connection: 'Upgrade', upgrade: 'websocket', authorization: `Bearer ${o.token}`, origin: o.origin });
  spliceUpgrade(target, headers, socket, head, o.handoff);
}
