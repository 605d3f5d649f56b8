/**
 * Where a keystroke's echo time goes on the server side, hop by hop, in ONE run: Node clients (no
 * browser) type one character at a time and time each until its echo arrives, against
 *   pty floor  node-pty running bash in this process (the kernel's pty and bash, nothing else)
 *   labd       WebSocket straight to labd's /v1/terminal (labd → terminal holder → pty, netns lab)
 *   web proxy  WebSocket to the web's /api/lab/terminal (web splice → labd → holder → pty)
 *   WeTTY      socket.io to WeTTY 3.2.0's server (node-pty, its output batching) — with --wetty DIR
 * in rounds that alternate the order, so machine load hits all alike. Beside the browser figures of
 * scripts/bench-terminal-vs-wetty.ts this splits an echo into server share and browser share.
 *   node --import tsx scripts/bench-echo-hops.ts [--wetty /tmp/wetty] [--rounds 6] [--keys 80]
 * (root: labd makes network namespaces; the web must be built: npm run build -w apps/web)
 */
import { spawn } from 'node:child_process';
import { WebSocket } from 'ws';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Op } from '@ebpf-lab/protocol';
import * as pty from 'node-pty';
import { launchChromium } from '../apps/web/e2e/browser.ts';
import { downLabs, freePort, serviceTokenFile, startLabd, startWeb, tempStateDir } from '../apps/web/e2e/harness.ts';
import { learner, Term, upLab, type LabdProcess } from '../apps/labd/src/test-support/labd-harness.ts';
import { pct } from './lib/echo-probe.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const WETTY_DIR = arg('wetty', '');
const ROUNDS = Number(arg('rounds', '6'));
const KEYS = Number(arg('keys', '80'));
const BATCH = 40; // characters per line, then Ctrl-U, so the line never wraps
if (process.getuid?.() !== 0) {
  console.error('bench-echo-hops: run as root (labd makes network namespaces)');
  process.exit(2);
}

/** One way to reach a shell: send text, and hear every piece of output. */
interface Target {
  name: string;
  send(s: string): void;
  onOutput(cb: (text: string) => void): void;
  close(): Promise<void> | void;
}

async function typeAndTime(t: Target, keys: number): Promise<number[]> {
  let waiting: ((text: string) => void) | null = null;
  t.onOutput((text) => waiting?.(text));
  const out: number[] = [];
  for (let i = 0; i < keys; i++) {
    const ch = String.fromCharCode(97 + (i % 26));
    const echoed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${t.name}: no echo of "${ch}" in 10 s`)), 10_000);
      waiting = (text) => {
        if (text.includes(ch)) {
          waiting = null;
          clearTimeout(timer);
          resolve();
        }
      };
    });
    const t0 = performance.now();
    t.send(ch);
    await echoed;
    out.push(performance.now() - t0);
    if (i % BATCH === BATCH - 1) {
      t.send('\x15');
      await new Promise((r) => setTimeout(r, 50));
    } else await new Promise((r) => setTimeout(r, 2)); // a typist's pause: each key is a lone write
  }
  t.send('\x15');
  await new Promise((r) => setTimeout(r, 100));
  return out;
}

function ourTarget(name: string, term: Term): Target {
  const listeners: ((text: string) => void)[] = [];
  term.ws.on('message', (d: Buffer) => {
    if (d[0] === Op.Output) for (const l of listeners) l(d.toString('utf8', 1));
  });
  return {
    name,
    send: (s) => term.type(s),
    onOutput: (cb) => {
      listeners.length = 0;
      listeners.push(cb);
    },
    close: async () => {
      await term.close();
    },
  };
}

function ptyFloor(): Target {
  const p = pty.spawn('/bin/bash', ['--norc', '--noprofile', '-i'], {
    name: 'xterm-256color',
    cols: 120,
    rows: 30,
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color', PS1: '$ ' },
  });
  let cb: (text: string) => void = () => {};
  p.onData((d) => cb(d));
  return {
    name: 'pty floor (node-pty, in-process)',
    send: (s) => p.write(s),
    onOutput: (c) => {
      cb = c;
    },
    close: () => p.kill(),
  };
}

async function wettyTarget(url: string): Promise<Target> {
  // socket.io-client comes with WeTTY (not a dependency of this repository).
  interface Sock {
    on(ev: string, cb: (...a: any[]) => void): void;
    once(ev: string, cb: (...a: any[]) => void): void;
    emit(ev: string, ...a: unknown[]): void;
    close(): void;
  }
  const { io } = createRequire(join(WETTY_DIR, 'node_modules/'))('socket.io-client') as { io(url: string, o: object): Sock };
  const sock = io(url, { path: '/socket.io', transports: ['websocket'] });
  let cb: (text: string) => void = () => {};
  // WeTTY's browser client commits what it has written (its flow control); so does this one.
  sock.on('data', (d: string) => {
    cb(d);
    sock.emit('commit', d.length);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('connect_error', reject);
  });
  sock.emit('resize', { cols: 120, rows: 30 });
  return {
    name: 'WeTTY 3.2.0 (socket.io)',
    send: (s) => sock.emit('input', s),
    onOutput: (c) => {
      cb = c;
    },
    close: () => {
      sock.close();
    },
  };
}

async function shellReady(t: Target): Promise<void> {
  let seen = '';
  t.onOutput((x) => {
    seen += x;
  });
  for (let i = 0; i < 600 && !seen.includes('READY-21'); i++) {
    if (i % 50 === 0) t.send('echo READY-$((20+1))\r');
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!seen.includes('READY-21')) throw new Error(`${t.name}: the shell never answered:\n${seen.slice(-500)}`);
  await new Promise((r) => setTimeout(r, 300));
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const stateDir = tempStateDir();
const port = await freePort();
const scratch = mkdtempSync(join(tmpdir(), 'elab-echo-hops-'));
const labd = await startLabd(stateDir, `http://127.0.0.1:${port}`);
const web = await startWeb({ ELAB_LABD_URL: labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(stateDir) }, port);
const targets: Target[] = [];
let wetty: ReturnType<typeof spawn> | undefined;
try {
  // A learner of the web (its cookie; the lesson page starts their lab), taken from one page load.
  const browser = await launchChromium();
  let cookie: string;
  try {
    const page = await browser.context.newPage();
    await page.goto(`${web.url}/en/hello-ebpf`);
    await page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 180_000 });
    cookie = (await browser.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  } finally {
    await browser.close(); // its terminal detaches: the Node clients are the only ones typing
  }
  const wsWeb = new WebSocket(`${web.url.replace(/^http/, 'ws').replace(/\/$/, '')}/api/lab/terminal?lab=hello-ebpf`, {
    headers: { cookie },
    origin: web.url.replace(/\/$/, ''),
  });
  await new Promise((resolve, reject) => {
    wsWeb.once('open', resolve);
    wsWeb.once('error', reject);
  });
  targets.push(ourTarget('web proxy → labd (ws)', new Term(wsWeb)));
  // A second learner straight on labd, with a lab of their own.
  const direct: Pick<LabdProcess, 'url' | 'serviceToken'> = {
    url: labd.url.replace(/\/$/, ''),
    serviceToken: readFileSync(serviceTokenFile(stateDir), 'utf8').trim(),
  };
  const { token } = await learner(direct as LabdProcess, 'hops');
  await upLab(direct as LabdProcess, token);
  targets.push(ourTarget('labd direct (ws)', await Term.open(direct.url, '', { token, origin: web.url.replace(/\/$/, '') })));
  targets.push(ptyFloor());
  if (WETTY_DIR) {
    const wettyMain = join(WETTY_DIR, 'node_modules/wetty/build/main.js');
    if (!existsSync(wettyMain)) throw new Error(`no WeTTY at ${wettyMain}; install: mkdir -p /tmp/wetty && cd /tmp/wetty && npm install wetty@3.2.0`);
    const wettyPort = await freePort();
    wetty = spawn(process.execPath, [wettyMain, '--host', '127.0.0.1', '--port', String(wettyPort), '--base', '/', '--command', 'bash'], {
      cwd: scratch,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    wetty.on('error', (e) => console.error(`wetty: ${e.message}`));
    let out = '';
    for (const s of [wetty.stdout!, wetty.stderr!])
      s.on('data', (c: Buffer) => {
        out += c;
      });
    for (let i = 0; !out.includes(String(wettyPort)) && i < 300; i++) await new Promise((r) => setTimeout(r, 100));
    targets.push(await wettyTarget(`http://127.0.0.1:${wettyPort}`));
  }
  for (const t of targets) await shellReady(t);
  const load0 = load();
  const all = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...targets].reverse() : targets;
    for (const t of order) all.get(t.name)!.push(...(await typeAndTime(t, KEYS)));
  }
  const f = (x: number) => x.toFixed(2).padStart(7);
  console.log(`bench-echo-hops: ${ROUNDS} alternating rounds of ${KEYS} keys per target; load average ${load0} at start, ${load()} at end`);
  console.log('                                      echo p50     p90     p99 (ms)');
  for (const t of targets) {
    const a = all.get(t.name)!;
    console.log(`  ${t.name.padEnd(34)} ${f(pct(a, 50))} ${f(pct(a, 90))} ${f(pct(a, 99))}`);
  }
} finally {
  for (const t of targets) {
    try {
      await t.close();
    } catch {
      /* already gone */
    }
  }
  wetty?.kill('SIGTERM');
  await web.stop();
  await labd.stop();
  downLabs(stateDir);
  rmSync(scratch, { recursive: true, force: true });
}
