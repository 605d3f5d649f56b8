import type { IncomingMessage } from 'node:http';
import { CloseCode, decodeFrame, Op } from '@ebpf-lab/protocol';
import { WebSocket, type RawData } from 'ws';
import { authenticate, tokenOf } from '../http/auth.ts';
import type { Sink, Subscriber, TerminalSession } from '../sessions/terminal-session.ts';
import { currentLab, type RosterDeps } from './roster.ts';
import { wsEndpoint } from '../sessions/ws-endpoint.ts';

export const FOLLOW_PATH = '/v1/classes/follow';
/** A follower sends only Acks (a few bytes each); anything bigger is not a follower. */
const MAX_FRAME_BYTES = 1024;
/** While the learner has no shell open, the follower waits and looks again this often. */
const WAIT_POLL_MS = 500;

export interface FollowDeps extends RosterDeps {
  allowedOrigins: string[];
}

/**
 * `WS /v1/classes/follow?class=C&learner=L[&lab=LAB][&node=N]`: an instructor watches a learner's
 * terminal. The socket joins the learner's live session as a `follower` subscriber, so it gets
 * Hello, the Replay and live Output, and never holds the learner's pty back. It is read-only
 * twice over: this handler passes only Ack frames to the session, and the session itself drops
 * every frame but Ack from anyone who is not its newest learner socket.
 *
 * When the learner has no shell open (or their lab is being reset) the socket stays open and
 * attaches as soon as one appears. A session that ends (shell exit, reset) closes the follower
 * with 4000, like the learner's own socket; the client reconnects to follow the next one.
 */
export function followServer(deps: FollowDeps) {
  function refuse(ws: WebSocket, code: number, reason: string): void {
    ws.close(code, reason.slice(0, 120));
  }

  async function attach(ws: WebSocket, req: IncomingMessage, url: URL): Promise<void> {
    let current: { session: TerminalSession; sub: Subscriber } | null = null;
    ws.on('message', (d: RawData, isBinary) => {
      if (!isBinary) {
        ws.close(1003, 'terminal frames are binary');
        return;
      }
      const buf = Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d);
      let f;
      try {
        f = decodeFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      } catch (e) {
        ws.close(1002, (e as Error).message.slice(0, 120));
        return;
      }
      // Input, Resize, Pause and Resume from a follower end here; only flow control goes on.
      if (f.op === Op.Ack && current) current.session.handle(current.sub, f);
    });
    ws.on('close', () => {
      if (current) current.session.detach(current.sub);
      current = null;
    });

    const origin = req.headers.origin;
    if (!origin || !deps.allowedOrigins.includes(origin)) return refuse(ws, CloseCode.Forbidden, `origin ${origin ?? '(none)'} is not allowed`);
    let principal;
    try {
      principal = authenticate(deps.store, tokenOf(req, url, true));
    } catch (e) {
      return refuse(ws, CloseCode.Unauthorized, (e as Error).message);
    }
    if (principal.kind !== 'instructor') return refuse(ws, CloseCode.Forbidden, 'following a terminal needs the instructor token');

    const cls = deps.classes.get(url.searchParams.get('class') ?? '');
    const learnerId = url.searchParams.get('learner') ?? '';
    if (!cls) return refuse(ws, CloseCode.NotFound, 'no such class');
    if (!deps.classes.isMember(cls.id, learnerId)) return refuse(ws, CloseCode.NotFound, 'no such learner in this class');
    const wantedLab = url.searchParams.get('lab');
    if (wantedLab && !cls.lessons.some((l) => l.labId === wantedLab)) return refuse(ws, CloseCode.NotFound, `lab ${wantedLab} is not part of this class`);
    const wantedNode = url.searchParams.get('node');

    const sink: Sink = {
      send: (frame) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: true });
      },
      close: (code, reason) => ws.close(code, reason),
    };
    // Look for the learner's session until one is there (or the instructor gives up).
    while (ws.readyState === WebSocket.OPEN) {
      const labId = wantedLab ?? currentLab(deps, cls, learnerId)?.labId;
      const state = labId ? deps.manager.instances.recorded({ learnerId, labId }) : null;
      const node = wantedNode ?? state?.nodes[0];
      if (state && node) {
        if (!state.nodes.includes(node)) return refuse(ws, CloseCode.NotFound, `no node "${node.slice(0, 32)}" in this lab`);
        const key = { learnerId, instanceId: state.id, node };
        if (deps.registry.get(key)) {
          try {
            const joined = await deps.registry.attach(
              key,
              () => {
                throw new Error('a follower never starts a shell');
              },
              sink,
              'follower',
            );
            // The instructor may have gone while the attach was decided.
            if (ws.readyState !== WebSocket.OPEN) {
              joined.session.detach(joined.sub);
              return;
            }
            current = joined;
            return;
          } catch {
            /* the session ended between get and attach: look again */
          }
        }
      }
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
  }

  return wsEndpoint('follow', MAX_FRAME_BYTES, attach);
}
