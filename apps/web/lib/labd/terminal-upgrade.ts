import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { labdEnv } from './env';
import { sessionFor } from './session';
import { refuse, sameOrigin, spliceUpgrade } from './ws-splice';

export const TERMINAL_PATH = '/api/lab/terminal';
const LAB_ID = /^[a-z0-9][a-z0-9-]*$/;
const NODE = /^[a-z][a-z0-9-]{0,14}$/;
// Hop-by-hop and credential headers are never forwarded from the browser to labd.
const DROP = new Set(['host', 'cookie', 'authorization', 'origin', 'connection', 'upgrade', 'content-length']);

/**
 * WS /api/lab/terminal?lab=L&node=N → labd's /v1/terminal?node=N with the learner's token in the
 * Authorization header and the web's Origin. After the 101 both sockets are spliced byte for byte:
 * frames, flow control and close codes are labd's and the browser's, untouched.
 */
export async function proxyTerminalUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on('error', () => socket.destroy());
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
  const { labdUrl, webOrigin } = labdEnv();
  const target = new URL(`/v1/terminal${node ? `?node=${encodeURIComponent(node)}` : ''}`, labdUrl);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROP.has(k)) headers[k] = v;
  Object.assign(headers, { connection: 'Upgrade', upgrade: 'websocket', authorization: `Bearer ${token}`, origin: webOrigin ?? origin });

  spliceUpgrade(target, headers, socket, head);
}
