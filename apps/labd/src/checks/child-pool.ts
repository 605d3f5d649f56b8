/**
 * Check children (checks/child.ts), one per run. Starting node with the tsx loader costs a few
 * hundred milliseconds (seconds on a loaded host), so a few children are kept started and waiting:
 * a run takes one and a new one starts in the background. A waiting child has imported no check,
 * so a check edited on disk is still read fresh by the run that takes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { config } from '../config.ts';

/** From the repository, not next to this module: labd may run from its bundle in apps/labd/dist. */
const childPath = () => join(config().repoRoot, 'apps/labd/src/checks/child.ts');
const TSX = import.meta.resolve('tsx');

/**
 * Only what node and the tools a check may start need: labd's tokens are not handed over in the
 * environment. This is hygiene, not a boundary: check code is the lab author's, trusted, and runs
 * as root, so it could still read the state dir.
 */
const ENV_KEYS = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'NODE_ENV'];

export interface CheckChild {
  proc: ChildProcess;
  /** fd 3 of the child: the protocol channel, both ways. */
  chan: Socket;
  /** Kills the child's whole process group (it is a group leader), whatever it started. */
  kill(): void;
  /** Settles when the child has said `ready` (or has ended). */
  ready: Promise<void>;
}

function start(): CheckChild {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ENV_KEYS) if (process.env[k] !== undefined) env[k] = process.env[k];
  // A heap limit, so a check that leaks dies (an error verdict) instead of eating the host's memory.
  const proc = spawn(process.execPath, ['--max-old-space-size=512', '--import', TSX, childPath()], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
    env,
  });
  const chan = proc.stdio[3] as Socket;
  const kill = () => {
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  // Errors surface through the run that uses the child (exit before a verdict); never crash labd.
  proc.on('error', () => {});
  chan.on('error', () => {});
  // The first thing a child writes is its `ready` line; the run's own reader attaches only later.
  const ready = new Promise<void>((resolve) => {
    chan.once('data', () => resolve());
    proc.once('exit', () => resolve());
  });
  return { proc, chan, kill, ready };
}

let warmWanted: number | undefined;

/**
 * How many started children wait for a run (ELAB_CHECK_WARM, default 2: a "check all" runs steps
 * back to back, faster than one child starts; 0 turns waiting children off, e.g. to measure cold starts).
 */
const warmCount = () => warmWanted ?? config().checkWarm;

/** Sets how many children wait, whatever the Config says (scripts/bench-check-run.ts compares 0 and 1). */
export function setWarmCount(n: number): void {
  warmWanted = n;
}

let warm: CheckChild[] = [];
const alive = (c: CheckChild) => c.proc.exitCode === null && c.proc.signalCode === null;

function topUp(): void {
  while (warm.length < warmCount()) {
    const c = start();
    // A waiting child must not keep a CLI process alive, and it exits by itself when labd does
    // (its fd 3 reaches end of file).
    c.proc.unref();
    c.chan.unref();
    (c.proc.stdout as Socket | null)?.unref();
    (c.proc.stderr as Socket | null)?.unref();
    c.proc.once('exit', () => {
      warm = warm.filter((w) => w !== c);
    });
    warm.push(c);
  }
}

/** A child for one run: the longest-waiting one still alive, else a new one. */
export function takeChild(): CheckChild {
  warm = warm.filter(alive);
  let c = warm.shift();
  if (!c) c = start();
  else {
    c.proc.ref();
    c.chan.ref();
    (c.proc.stdout as Socket | null)?.ref();
    (c.proc.stderr as Socket | null)?.ref();
  }
  topUp();
  return c;
}

/** Starts the waiting children now (labd at start-up), so even the first check run is warm. */
export function prewarmCheckChild(): void {
  topUp();
}

/** Settles when every waiting child is ready to take a run; for benchmarks. */
export async function warmChildReady(): Promise<void> {
  await Promise.all(warm.map((c) => c.ready));
}

/** Ends the waiting children (labd shutdown, tests). */
export function stopWarmChildren(): void {
  for (const c of warm) c.kill();
  warm = [];
}
