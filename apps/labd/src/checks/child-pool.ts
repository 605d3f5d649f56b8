/**
 * Check children (checks/child.ts), one per run. Starting node with the tsx loader costs a few
 * hundred milliseconds, so one child is kept started and waiting: a run takes it and a new one
 * starts in the background. A waiting child has not imported any check yet, so a check edited on
 * disk is still read fresh by the run that takes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** Only what node and the tools a check may start need: labd's own secrets stay in labd. */
const ENV_KEYS = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'NODE_ENV'];

export interface CheckChild {
  proc: ChildProcess;
  /** fd 3 of the child: the protocol channel, both ways. */
  chan: Socket;
  /** Kills the child's whole process group (it is a group leader), whatever it started. */
  kill(): void;
}

function start(): CheckChild {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ENV_KEYS) if (process.env[k] !== undefined) env[k] = process.env[k];
  // A heap limit, so a check that leaks dies (an error verdict) instead of eating the host's memory.
  const proc = spawn(process.execPath, ['--max-old-space-size=512', '--import', TSX, CHILD], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true, env,
  });
  const chan = proc.stdio[3] as Socket;
  const kill = () => {
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* already gone */ }
  };
  // Errors surface through the run that uses the child (exit before a verdict); never crash labd.
  proc.on('error', () => {});
  chan.on('error', () => {});
  return { proc, chan, kill };
}

/** Whether a waiting child should be kept (off with ELAB_CHECK_WARM=0, e.g. to measure cold starts). */
const keepWarm = () => process.env.ELAB_CHECK_WARM !== '0';

let warm: CheckChild | null = null;

function startWarm(): void {
  const c = start();
  // A waiting child must not keep a CLI process alive, and it exits by itself when labd does
  // (its fd 3 reaches end of file).
  c.proc.unref();
  c.chan.unref();
  (c.proc.stdout as Socket | null)?.unref();
  (c.proc.stderr as Socket | null)?.unref();
  c.proc.once('exit', () => { if (warm === c) warm = null; });
  warm = c;
}

/** A child ready for one run: the waiting one if it is still alive, else a new one. */
export function takeChild(): CheckChild {
  let c = warm;
  warm = null;
  if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null) c = start();
  else { c.proc.ref(); c.chan.ref(); (c.proc.stdout as Socket | null)?.ref(); (c.proc.stderr as Socket | null)?.ref(); }
  if (keepWarm()) startWarm();
  return c;
}

/** Starts the waiting child now (labd at start-up), so even the first check run is warm. */
export function prewarmCheckChild(): void {
  if (keepWarm() && !warm) startWarm();
}

/** Ends the waiting child (labd shutdown, tests). */
export function stopWarmChild(): void {
  warm?.kill();
  warm = null;
}
