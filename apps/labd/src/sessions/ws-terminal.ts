import type { IncomingMessage } from 'node:http';
import { TERMINAL_HANDOFF_HEADER, TERMINAL_HANDOFF_TAKEN } from '@ebpf-lab/api';
import { CloseCode, decodeFrame } from '@ebpf-lab/protocol';
import { WebSocket, type RawData } from 'ws';
import { authenticate, tokenOf } from '../http/auth.ts';
import type { LabManager } from '../core/lab-manager.ts';
import type { Store } from '../store/store.ts';
import { startHolder } from './holder/holder-client.ts';
import type { SessionRegistry } from './registry.ts';
import type { Sink } from './terminal-session.ts';
import type { HandoffTaker } from './handoff.ts';
import { wsEndpoint, type WsEndpoint } from './ws-endpoint.ts';

export const TERMINAL_PATH = '/v1/terminal';
/** Input frames are keystrokes and pastes; a megabyte is far more than a paste needs. */
const MAX_FRAME_BYTES = 1024 * 1024;
/** Dead sockets (a laptop lid closed) are noticed by missed pongs, so the grace period starts. */

export interface TerminalDeps {
  store: Store;
  manager: LabManager;
  registry: SessionRegistry;
  allowedOrigins: string[];
  /** Takes a browser socket the web hands over (handoff.ts); without it every terminal is spliced by the web. */
  handoff?: HandoffTaker;
}

const size = (v: string | null, dflt: number) => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : dflt;
};

/**
 * Serves `WS /v1/terminal`. Refusals happen after the handshake, with the protocol's close codes,
 * because a browser cannot read the HTTP status of a refused upgrade but can read a close code.
 * Nothing is sent to a refused socket before it is closed.
 */
export function terminalServer(deps: TerminalDeps) {
  async function attach(ws: WebSocket, req: IncomingMessage, url: URL): Promise<void> {
    // Frames that arrive while the attach is being decided (the client's first Resize) wait here.
    const queued: RawData[] = [];
    let onFrame: (d: RawData) => void = (d) => queued.push(d);
    ws.on('message', (d, isBinary) => {
      if (isBinary) onFrame(d);
      else ws.close(1003, 'terminal frames are binary');
    });

    const origin = req.headers.origin;
    if (!origin || !deps.allowedOrigins.includes(origin)) {
      ws.close(CloseCode.Forbidden, `origin ${origin ?? '(none)'} is not allowed`.slice(0, 120));
      return;
    }
    let principal;
    try {
      principal = authenticate(deps.store, tokenOf(req, url, true));
    } catch (e) {
      ws.close(CloseCode.Unauthorized, (e as Error).message);
      return;
    }
    if (principal.kind !== 'learner') {
      ws.close(CloseCode.Forbidden, 'a terminal needs a learner token');
      return;
    }
    const cur = await deps.manager.current(principal);
    if (ws.readyState !== WebSocket.OPEN) return;
    const wanted = url.searchParams.get('instance');
    if (wanted && wanted !== cur?.inst.state.id) {
      ws.close(CloseCode.Forbidden, `instance ${wanted.slice(0, 16)} is not yours`);
      return;
    }
    if (!cur) {
      ws.close(CloseCode.NotFound, 'the lab is not running; start it with POST /v1/lab');
      return;
    }
    const node = url.searchParams.get('node') ?? cur.inst.state.nodes[0]!;
    if (!cur.inst.state.nodes.includes(node)) {
      ws.close(CloseCode.NotFound, `no node "${node.slice(0, 32)}" in this lab`);
      return;
    }

    const sink: Sink = {
      send: (frame) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: true });
      },
      close: (code, reason) => ws.close(code, reason),
    };
    const key = { learnerId: principal.learnerId, instanceId: cur.inst.state.id, node };
    const cols = size(url.searchParams.get('cols'), 80);
    const rows = size(url.searchParams.get('rows'), 24);
    let attached;
    try {
      // The shell lives in a holder process outside labd, so it survives a labd restart.
      attached = await deps.registry.attach(key, (id) => startHolder({ id, key, command: cur.inst.shellCommand({ node }), cols, rows }), sink);
    } catch (e) {
      process.stderr.write(`labd: terminal for ${key.instanceId}/${node}: ${(e as Error).message}\n`);
      ws.close(1011, `could not start a shell: ${(e as Error).message}`.slice(0, 120));
      return;
    }
    const { session, sub } = attached;
    if (ws.readyState !== WebSocket.OPEN) {
      session.detach(sub);
      return;
    } // gone while the shell started
    onFrame = (d) => {
      const buf = Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d);
      try {
        session.handle(sub, decodeFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)));
      } catch (e) {
        ws.close(1002, (e as Error).message.slice(0, 120));
      }
    };
    ws.on('close', () => session.detach(sub));
    for (const d of queued.splice(0)) onFrame(d);
  }

  const endpoint = wsEndpoint('terminal', MAX_FRAME_BYTES, attach);
  return deps.handoff ? withHandoff(endpoint, deps.handoff) : endpoint;
}

const NOTHING = Buffer.alloc(0);
const TAKEN = `HTTP/1.1 204 No Content\r\n${TERMINAL_HANDOFF_HEADER}: ${TERMINAL_HANDOFF_TAKEN}\r\nconnection: close\r\n\r\n`;

/**
 * The web on this host may hand labd the browser's own socket (handoff.ts): the WebSocket is then
 * served on it, with the browser's handshake headers that the web forwarded, and the same checks
 * as a spliced one (Origin and token come from the web's request). The web's request is answered
 * 204 "taken" only after the browser got its 101; when the handoff is refused, the request is
 * served as before and the web splices.
 */
function withHandoff(endpoint: WsEndpoint, handoff: HandoffTaker): WsEndpoint {
  return {
    handleUpgrade(req, socket, head, url) {
      const browser = handoff.take(req, head);
      if (!browser) return endpoint.handleUpgrade(req, socket, head, url);
      // No head: the web stopped reading before it asked, so all the browser sends after the 101 is read here.
      endpoint.handleUpgrade(req, browser, NOTHING, url);
      socket.on('error', () => socket.destroy());
      socket.end(TAKEN);
    },
    close: () => endpoint.close(),
  };
}
