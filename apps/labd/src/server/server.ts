import { chmodSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mountClasses } from '../classes/mount.ts';
import { initConfig } from '../config.ts';
import { getDriver } from '../drivers/registry.ts';
import { labCatalog } from '../engine.ts';
import { endHoldersOf } from '../sessions/holder/holders.ts';
import { restoreSessions } from '../sessions/holder/restore.ts';
import { handoffTaker } from '../sessions/handoff.ts';
import { SessionRegistry } from '../sessions/registry.ts';
import { terminalServer, TERMINAL_PATH } from '../sessions/ws-terminal.ts';
import { Store } from '../store/store.ts';
import { ensureFixedTokens } from '../http/auth.ts';
import type { ServerConfig } from './env.ts';
import { httpErrorOf, sendError, TransportError } from '../http/errors.ts';
import { assertRoutesMatchContract } from '../http/contract.ts';
import { discardRest } from '../http/http.ts';
import { hostCheck, type HostCheck } from './host-check.ts';
import { prewarmCheckChild, stopWarmChildren } from '../checks/child-pool.ts';
import { LabManager } from '../core/lab-manager.ts';
import { policyOf, trustWarning } from '../core/policy.ts';
import { newLearnerLimiter } from '../core/learners.ts';
import { addLabsRoutes } from './labs-routes.ts';
import { apiRoutes } from './routes.ts';

/** The request target as a URL, or null when it is not one (never throws). */
function urlOf(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://labd');
  } catch {
    return null;
  }
}

export interface Labd {
  url: string;
  address: AddressInfo;
  store: Store;
  registry: SessionRegistry;
  manager: LabManager;
  close(): Promise<void>;
}

/** How long a shutdown waits for labs still starting, so their instance ids get recorded. */
const DRAIN_MS = 30_000;

/**
 * Browsers on the web's origin may call labd directly (the editor's file saves); other origins get
 * no CORS headers, so the browser keeps their pages from reading any answer.
 */
function cors(req: IncomingMessage, res: ServerResponse, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (!origin || !allowed.includes(origin)) return false;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  res
    .writeHead(204, {
      'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': '600',
    })
    .end();
  return true;
}

/** Leftovers of labs whose holder died while labd was away; live labs (ours included) are kept. */
async function reapLeftovers(): Promise<void> {
  try {
    const driver = await getDriver('netns');
    if (!(await driver.preflight()).ok) return;
    const r = await driver.reap({ all: false });
    if (r.removed.length) process.stderr.write(`labd: reaped leftovers of ${r.removed.join(', ')}\n`);
    for (const e of r.errors) process.stderr.write(`labd: reap: ${e}\n`);
  } catch (e) {
    process.stderr.write(`labd: reap failed: ${(e as Error).message}\n`);
  }
}

/** The vm driver's guests: dead ones reaped, the warm pool filled (ELAB_VM_POOL), in the background. */
function vmOnStart(): void {
  import('../drivers/vm/vm-driver.ts')
    .then((m) => m.vmStartup((line) => process.stderr.write(`${line}\n`)))
    .catch((e) => process.stderr.write(`labd: vm startup failed: ${(e as Error).message}\n`));
}

export async function startLabd(cfg: ServerConfig): Promise<Labd> {
  // The engine (drivers, instance files, terminals) finds its paths through config(): one Config.
  initConfig(cfg.paths);
  mkdirSync(cfg.stateDir, { recursive: true });
  chmodSync(cfg.stateDir, 0o700);
  await reapLeftovers();
  vmOnStart();

  const store = new Store(cfg.stateDir);
  ensureFixedTokens(store, cfg.stateDir, { service: cfg.serviceToken, instructor: cfg.instructorToken });
  const registry = new SessionRegistry({ graceMs: cfg.graceMs, onCloseInstance: (id) => endHoldersOf(id) });
  try {
    const r = await restoreSessions(registry);
    if (r.reattached.length || r.ended.length) process.stderr.write(`labd: terminals reattached ${r.reattached.length}, ended ${r.ended.length}\n`);
  } catch (e) {
    process.stderr.write(`labd: reattaching terminals failed: ${(e as Error).message}\n`);
  }
  const policy = policyOf(cfg);
  const warning = trustWarning(policy);
  if (warning) process.stderr.write(warning);
  const manager = new LabManager(store, registry, policy);
  // Before anything is served: starts a killed labd left half done become `failed`, their leftovers removed.
  for (const r of await manager.instances.recoverInterrupted()) {
    process.stderr.write(
      `labd: the start of ${r.owner.labId} for learner ${r.owner.learnerId} was interrupted by a labd stop; marked failed${r.removed.length ? `, removed ${r.removed.join(', ')}` : ''}\n`,
    );
    for (const e of r.errors) process.stderr.write(`labd: removing the interrupted start's ${e}\n`);
  }
  const newLearners = newLearnerLimiter();
  const router = apiRoutes(store, manager, policy, newLearners);
  const terminal = terminalServer({ store, manager, registry, allowedOrigins: cfg.allowedOrigins, handoff: handoffTaker(cfg.paths.pidfdAddon) });
  addLabsRoutes(router, store, labCatalog());
  const classes = mountClasses(router, { store, manager, registry, allowedOrigins: cfg.allowedOrigins, policy, newLearners });
  assertRoutesMatchContract(router.keys());

  // Known once the server listens (the port may be 0 until then); nothing is served before that.
  let hosts: HostCheck | undefined;
  const server = createServer((req, res) => {
    const url = urlOf(req.url);
    if (!url) {
      // `GET http://[ HTTP/1.1` makes new URL throw: outside a try that would end labd.
      discardRest(req, res);
      sendError(res, new TransportError(400, 'the request target is not a valid URL path'));
      return;
    }
    if (!hosts?.allows(req.headers.host)) {
      discardRest(req, res);
      sendError(res, new TransportError(421, hosts?.refusal(req.headers.host) ?? 'labd is starting'));
      return;
    }
    if (cors(req, res, cfg.allowedOrigins)) return;
    router.dispatch({ req, res, url }).catch((e: unknown) => {
      if (httpErrorOf(e).status >= 500) process.stderr.write(`labd: ${req.method} ${url.pathname}: ${(e as Error).stack ?? String(e)}\n`);
      discardRest(req, res);
      sendError(res, e);
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const url = urlOf(req.url);
    if (!url) {
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nthe request target is not a valid URL path\n');
      return;
    }
    if (!hosts?.allows(req.headers.host)) {
      const why = (hosts?.refusal(req.headers.host) ?? 'labd is starting').replace(/[\r\n]/g, ' ');
      socket.end(`HTTP/1.1 421 Misdirected Request\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${why}\n`);
      return;
    }
    if (classes.handleUpgrade(req, socket, head, url)) return;
    if (url.pathname !== TERMINAL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    terminal.handleUpgrade(req, socket, head, url);
  });
  // A slow client must not hold a request open for ever; SSE streams are long but send heartbeats.
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  hosts = hostCheck(address, cfg.host, cfg.allowedHosts);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  // A learner's first check then finds a check child already started (checks/child-pool.ts).
  prewarmCheckChild();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      server.close();
      terminal.close();
      classes.close();
      // The shells live on in their holders, like the labs; the next labd reattaches them.
      registry.releaseAll();
      await manager.drain(DRAIN_MS);
      server.closeAllConnections();
      stopWarmChildren();
      store.close();
    })());

  return { url: `http://${host}:${address.port}`, address, store, registry, manager, close };
}
