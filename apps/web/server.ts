// The web server: Next's request handler plus the terminal WebSocket proxy (Next route handlers
// cannot take an `upgrade`). Run: `node --import tsx server.ts [--dev]`; PORT/HOST set the address.
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { serviceToken } from './lib/labd/env';
import { proxyTerminalUpgrade, TERMINAL_PATH } from './lib/labd/terminal-upgrade';
import { FOLLOW_PATH, proxyFollowUpgrade } from './lib/labd/follow-upgrade';

const dev = process.argv.includes('--dev');
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? '127.0.0.1';
const dir = dirname(fileURLToPath(import.meta.url));

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
const server = createServer((req, res) => void prepared.then(() => handle(req, res)));
let handle: ReturnType<typeof app.getRequestHandler>;
let nextUpgrade: ReturnType<typeof app.getUpgradeHandler> | undefined;
server.on('upgrade', (req, socket, head) => {
  if (req.url?.split('?')[0] === TERMINAL_PATH) void proxyTerminalUpgrade(req, socket, head);
  else if (req.url?.split('?')[0] === FOLLOW_PATH) proxyFollowUpgrade(req, socket, head);
  else if (dev) void prepared.then(() => nextUpgrade?.(req, socket, head));
  else socket.destroy();
});
await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, hostname, resolve));
if (!dev) await dropRoot();
await app.prepare();
handle = app.getRequestHandler();
nextUpgrade = dev ? app.getUpgradeHandler() : undefined;
nextReady!();
console.log(`web: http://${hostname}:${port}${dev ? ' (dev)' : ''}`);
