import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { labdEnv } from './env';
import { instructorTokenFor } from './instructor-session';
import { refuse, sameOrigin, spliceUpgrade } from './ws-splice';

export const FOLLOW_PATH = '/instructor/api/follow';
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const NODE = /^[a-z][a-z0-9-]{0,14}$/;
const KEEP = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'user-agent']);

/**
 * WS /instructor/api/follow?class=C&learner=L[&node=N] → labd's read-only /v1/classes/follow with
 * the instructor token from the session cookie. Same-origin only; after the 101 the two sockets
 * are spliced byte for byte, so labd alone decides what a follower may do (it drops all input).
 */
export function proxyFollowUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const url = new URL(req.url ?? '/', 'http://web.invalid');
  const cls = url.searchParams.get('class') ?? '';
  const learner = url.searchParams.get('learner') ?? '';
  const node = url.searchParams.get('node') ?? '';
  if (!ID.test(cls) || !ID.test(learner) || (node && !NODE.test(node))) return refuse(socket, 400, 'bad class, learner or node');
  const origin = sameOrigin(req);
  if (!origin) return refuse(socket, 403, 'cross-origin follow refused');
  const token = instructorTokenFor({ header: req.headers.cookie });
  if (!token) return refuse(socket, 401, 'sign in as the instructor first');

  const { labdUrl, webOrigin } = labdEnv();
  const query = new URLSearchParams({ class: cls, learner, ...(node ? { node } : {}) });
  const target = new URL(`/v1/classes/follow?${query}`, labdUrl);
  const headers: Record<string, string> = { connection: 'Upgrade', upgrade: 'websocket', authorization: `Bearer ${token}`, origin: webOrigin ?? origin };
  for (const [k, v] of Object.entries(req.headers)) if (KEEP.has(k) && typeof v === 'string') headers[k] = v;

  spliceUpgrade(target, headers, socket, head);
}
