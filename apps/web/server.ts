// The web server: Next's request handler plus the terminal WebSocket proxy (Next route handlers
// cannot take an `upgrade`). Run: `node --import tsx server.ts [--dev]`; PORT/HOST set the address.
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { labdEnv, serviceToken } from './lib/labd/env';
import { exposureProblem } from './lib/exposure';
import { CLIENT_HEADER, clientAddress, requestRefusal, upgradeRefusal } from './lib/request-guard';
import { proxyTerminalUpgrade, TERMINAL_PATH } from './lib/labd/terminal-upgrade';
import { FOLLOW_PATH, proxyFollowUpgrade } from './lib/labd/follow-upgrade';
import { refuse } from './lib/labd/ws-splice';
import { bodyLimitFor, declaredTooLarge } from './lib/body-limit';

const dev = process.argv.includes('--dev');
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? '127.0.0.1';
const dir = dirname(fileURLToPath(import.meta.url));
// A bad variable (an origin with a path, a port out of range) stops the start with its name.
try { labdEnv(); } catch (e) { console.error(`web: ${(e as Error).message}`); process.exit(2); }

/**
 * The web never needs root. Started as root (e.g. by scripts/start.sh next to labd), it reads the
 * root-only service token first (waiting up to 30 s for labd to write it), hands it to Next
 * through the environment, and drops to ELAB_WEB_USER (default nobody) before serving anything.
 */
async function dropRoot(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  // labd writes its token at first start; started together, give it a moment.
  for (let i = 0; !process.env.ELAB_SERVICE_TOKEN; i++) {
    try {
      process.env.ELAB_SERVICE_TOKEN = serviceToken();
    } catch (e) {
      if (i >= 60) { console.warn(`web: ${(e as Error).message}; lab calls will fail`); break; }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
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
const prepared = new Promise<void>((resolve) => { nextReady = resolve; });
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
    res.writeHead(refused.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' }).end(`${refused.message}\n`);
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
server.on('clientError', (_e, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'); else socket.destroy(); });
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  const refused = admit(req);
  if (refused) return refuse(socket, refused.status, refused.message);
  if (req.url?.split('?')[0] === TERMINAL_PATH) {
    proxyTerminalUpgrade(req, socket, head).catch((e: unknown) => { console.error('web: terminal upgrade:', e); refuse(socket, 500, 'internal error'); });
  }
  else if (req.url?.split('?')[0] === FOLLOW_PATH) proxyFollowUpgrade(req, socket, head);
  else if (dev) void prepared.then(() => nextUpgrade?.(req, socket, head));
  else socket.destroy();
});
await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, hostname, resolve));
if (!dev) await dropRoot();
const exposed = await exposureProblem(hostname);
if (exposed) { console.error(`web: refusing to serve: ${exposed}`); process.exit(2); }
await app.prepare();
handle = app.getRequestHandler();
nextUpgrade = dev ? app.getUpgradeHandler() : undefined;
nextReady!();
console.log(`web: http://${hostname}:${port}${dev ? ' (dev)' : ''}`);
