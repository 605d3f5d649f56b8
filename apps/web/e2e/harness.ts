/**
 * Starts the real processes a browser test needs: labd (as root, on a private state dir and a
 * kernel-picked port) and the production web server built from this tree.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = join(webDir, '../..');
export const screenshotDir = join(webDir, 'e2e/screenshots');
mkdirSync(screenshotDir, { recursive: true });

export interface Proc {
  url: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp; what: string; timeoutMs?: number },
): Promise<Proc & { match: RegExpExecArray }> {
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.what} did not start in time:\n${out}`)), opts.timeoutMs ?? 60_000);
    const look = (c: Buffer) => {
      out += c.toString();
      const m = opts.ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1] ?? '',
          match: m,
          proc,
          output: () => out,
          async stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    proc.stdout!.on('data', look);
    proc.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.what} exited (${code}) before it was ready:\n${out}`));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'elab-web-e2e-'));
}

/**
 * `port` 0 lets the kernel pick; a restart test passes the previous labd's port so the web finds it again.
 * The browser tests use several learners and classes on netns, hence --trust-learners (labd's core/policy.ts).
 */
export function startLabd(
  stateDir: string,
  allowedOrigin: string,
  env: Record<string, string> = {},
  port = 0,
  opts: { trustLearners?: boolean } = {},
): Promise<Proc> {
  const trust = opts.trustLearners === false ? [] : ['--trust-learners'];
  return run(process.execPath, [join(repoRoot, 'apps/labd/bin/labd.mjs'), '--port', String(port), '--state-dir', stateDir, ...trust], {
    cwd: repoRoot,
    env: { ...process.env, ELAB_ALLOWED_ORIGINS: allowedOrigin, ...env },
    ready: /labd listening on (http:\/\/\S+)/,
    what: 'labd',
  });
}

/**
 * The web gets labd's service token explicitly (ELAB_SERVICE_TOKEN_FILE), as scripts/start.sh gives
 * it; it never looks into labd's state dir on its own.
 */
export const serviceTokenFile = (stateDir: string): string => join(stateDir, 'service-token');

/** Takes down every lab the test's labd made (labs outlive labd by design), then its state. */
export function downLabs(stateDir: string): void {
  const dir = join(stateDir, 'instances');
  const ids = existsSync(dir) ? readdirSync(dir).filter((n) => /^[a-z0-9]{6}$/.test(n)) : [];
  if (ids.length)
    spawnSync(process.execPath, [join(repoRoot, 'apps/labd/bin/lab.mjs'), 'down', ...ids], {
      env: { ...process.env, ELAB_STATE_DIR: stateDir },
      timeout: 60_000,
      stdio: 'inherit',
    });
  rmSync(stateDir, { recursive: true, force: true });
}

/**
 * `next build` once per tree (ELAB_E2E_REBUILD=1 forces it): the tests run the production server.
 * ELAB_WEB_DIST_DIR (read by next.config.ts) builds and serves from a dist dir of its own.
 */
export function ensureWebBuild(): void {
  if (existsSync(join(webDir, process.env.ELAB_WEB_DIST_DIR || '.next', 'BUILD_ID')) && process.env.ELAB_E2E_REBUILD !== '1') return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: webDir, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

export async function startWeb(env: Record<string, string>, port?: number): Promise<Proc> {
  ensureWebBuild();
  const p = port ?? (await freePort());
  return run(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: webDir,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(p), HOST: '127.0.0.1', ...env },
    ready: /web: (http:\/\/\S+)/,
    what: 'web',
  });
}
