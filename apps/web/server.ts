// The web server: Next's request handler plus the terminal WebSocket proxy (Next route handlers
// cannot take an `upgrade`). Run: `node --import tsx server.ts [--dev]`; PORT/HOST set the address.
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { serviceToken, webConfig } from './lib/labd/env';
import { exposureProblem } from './lib/exposure';
import { CLIENT_HEADER, clientAddress, requestRefusal, upgradeRefusal } from './lib/request-guard';
import { proxyTerminalUpgrade, TERMINAL_PATH } from './lib/labd/terminal-upgrade';
import { FOLLOW_PATH, proxyFollowUpgrade } from './lib/labd/follow-upgrade';
import { refuse } from './lib/labd/ws-splice';
import { bodyLimitFor, declaredTooLarge } from './lib/body-limit';

const dev = process.argv.includes('--dev');
const dir = dirname(fileURLToPath(import.meta.url));
// The web's one config, parsed once here; Next's routes get the same object (lib/labd/env.ts). A bad
// variable (an origin with a path, a port out of range) stops the start with its name and value.
let cfg: ReturnType<typeof webConfig>;
try {
  cfg = webConfig();
} catch (e) {
  console.error(`web: ${(e as Error).message}`);
  process.exit(2);
}
const { port, host: hostname } = cfg;
if (process.env.ELAB_STATE_DIR && !process.env.ELAB_SERVICE_TOKEN && !process.env.ELAB_SERVICE_TOKEN_FILE) {
  console.warn("web: ELAB_STATE_DIR is not read by the web; give labd's token with ELAB_SERVICE_TOKEN_FILE=<stateDir>/service-token");
}

/**
 * labd writes its service token at first start; started together (scripts/start.sh), give it up to
 * 30 s. Reading it here, before dropping root, keeps the value for when the root-only file is no
 * longer readable (lib/labd/env.ts).
 */
async function awaitServiceToken(): Promise<void> {
  const { token } = webConfig();
  if (!token.value && !token.file) {
    console.warn('web: no ELAB_SERVICE_TOKEN or ELAB_SERVICE_TOKEN_FILE: lab calls will fail');
    return;
  }
  for (let i = 0; ; i++) {
    try {
      serviceToken();
      return;
    } catch (e) {
      if (i >= 60) {
        console.warn(`web: ${(e as Error).message}; lab calls will fail`);
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The web never needs root: started as root, it drops to ELAB_WEB_USER (default nobody) before serving anything. */
function dropRoot(): void {
  if (process.getuid?.() !== 0) return;
  const user = process.env.ELAB_WEB_USER ?? 'nobody';
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  process.setgroups?.([]);
  process.setgid?.(gid);
  process.setuid?.(user);
  console.log(`web: dropped root, running as ${user}`);
}

if (dev && process.getuid?.() === 0) console.warn('web: dev mode keeps root (it writes .next); production drops it');
// Next attaches its own `upgrade` listener to the server it is given (else to the first request's
// server) and destroys sockets it does not own, which would kill the terminal proxy's. Give it a
// decoy; upgrades that are Next's (dev HMR) are handed to it below.
const decoy = new EventEmitter() as unknown as Server;
const app = next({ dev, dir, hostname, port, httpServer: decoy });
// Handlers are attached before listening: a request or upgrade that arrives while Next prepares
// waits for it instead of hanging unanswered (a browser allows one pending WebSocket per host, so
// one lost handshake would stall a reconnecting terminal for good).
let nextReady: () => void;
const prepared = new Promise<void>((resolve) => {
  nextReady = resolve;
});
/**
 * Before anything else: the Host must be ours (else a DNS-rebinding page could drive the API with
 * a matching Origin) and writes must come from our origins (lib/request-guard.ts). The peer
 * address is recorded for labd's per-client limits; a client's own copy of the header is dropped.
 */
function admit(req: IncomingMessage): ReturnType<typeof requestRefusal> {
  delete req.headers[CLIENT_HEADER];
  const client = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
  if (client) req.headers[CLIENT_HEADER] = client;
  return req.headers.upgrade ? upgradeRefusal(req.headers) : requestRefusal(req.method, req.headers);
}
const server = createServer((req, res) => {
  const refused = admit(req);
  if (refused) {
    res
      .writeHead(refused.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' })
      .end(`${refused.message}\n`);
    return;
  }
  // A declared body over the route's limit is refused before one byte of it is read (and before
  // Next); undeclared (chunked) bodies are capped as routes read them (lib/body-limit.ts).
  const tooLarge = declaredTooLarge(req.headers, bodyLimitFor(req.method, req.url));
  if (tooLarge) {
    res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${tooLarge}\n`);
    // Discard (never keep) what the client is still sending: closing at once would reset the
    // connection under the 413 before the client reads it. Give the client 5 s to stop.
    req.resume();
    const linger = setTimeout(() => req.socket.destroy(), 5000);
    req.socket.once('close', () => clearTimeout(linger));
    return;
  }
  void prepared.then(() => handle(req, res));
});
let handle: ReturnType<typeof app.getRequestHandler>;
let nextUpgrade: ReturnType<typeof app.getUpgradeHandler> | undefined;
// A client that resets mid-request must never take the web down with it.
server.on('clientError', (_e, socket) => {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  else socket.destroy();
});
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  const refused = admit(req);
  if (refused) return refuse(socket, refused.status, refused.message);
  if (req.url?.split('?')[0] === TERMINAL_PATH) {
    proxyTerminalUpgrade(req, socket, head).catch((e: unknown) => {
      console.error('web: terminal upgrade:', e);
      refuse(socket, 500, 'internal error');
    });
  } else if (req.url?.split('?')[0] === FOLLOW_PATH) proxyFollowUpgrade(req, socket, head);
  else if (dev) void prepared.then(() => nextUpgrade?.(req, socket, head));
  else socket.destroy();
});
await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, hostname, resolve));
await awaitServiceToken();
if (!dev) dropRoot();
const exposed = await exposureProblem(hostname);
if (exposed) {
  console.error(`web: refusing to serve: ${exposed}`);
  process.exit(2);
}
await app.prepare();
handle = app.getRequestHandler();
nextUpgrade = dev ? app.getUpgradeHandler() : undefined;
nextReady!();
console.log(`web: http://${hostname}:${port}${dev ? ' (dev)' : ''}`);
