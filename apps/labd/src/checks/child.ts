/**
 * One check run, in its own process (started by checks/child-pool.ts under the tsx loader). It
 * waits on fd 3 for labd's `run` message, imports the step's check.ts fresh (a new process has no
 * module cache, so an edited check is used on the next run), gives it a CheckContext whose calls
 * go back to labd over fd 3, and sends one verdict. labd kills this process's group after the
 * verdict or at the step's timeout, so nothing the check leaves behind outlives the run.
 */
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { CheckContext, CheckFunction, ExecResult } from '@ebpf-lab/check-sdk';
import { lineSplitter } from './lines.ts';
import type { ChildMessage, ParentMessage } from './protocol.ts';

type Call = Extract<ChildMessage, { id: number }>;
/** A call before it has an id (Omit distributed over the union). */
type NewCall = Call extends infer C ? (C extends Call ? Omit<C, 'id'> : never) : never;
type Run = Extract<ParentMessage, { t: 'run' }>;

// fd 3 is a socketpair labd made (stdio 'pipe'), readable and writable.
const chan = new Socket({ fd: 3, readable: true, writable: true });
const send = (m: ChildMessage) => chan.write(`${JSON.stringify(m)}\n`);
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
let nextId = 1;

function call<T>(m: NewCall): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    send({ ...m, id } as Call);
  });
}

function contextFor(run: Run, signal: AbortSignal): CheckContext {
  const exec = (cmd: string, o?: { node?: string; timeoutMs?: number }) => call<ExecResult>({ t: 'exec', cmd, node: o?.node, timeoutMs: o?.timeoutMs });
  return {
    labId: run.labId,
    instanceId: run.instanceId,
    stepId: run.stepId,
    mode: run.mode,
    timeScale: run.timeScale,
    signal,
    exec,
    async json<T>(cmd: string, o?: { node?: string; timeoutMs?: number }): Promise<T> {
      const r = await exec(cmd, o);
      if (r.code !== 0) throw new Error(`\`${cmd}\` exited ${r.code}: ${r.stderr.trim().slice(-300)}`);
      try {
        return JSON.parse(r.stdout) as T;
      } catch {
        throw new Error(`\`${cmd}\` did not print JSON: ${r.stdout.slice(0, 200)}`);
      }
    },
    readFile: (path) => call<string | null>({ t: 'readFile', path }),
    labPids: async () => new Set(await call<number[]>({ t: 'labPids' })),
  };
}

const isOutcome = (x: unknown) => !!x && typeof x === 'object' && typeof (x as { status?: unknown }).status === 'string';

async function run(r: Run): Promise<void> {
  const abort = new AbortController();
  try {
    const mod = (await import(pathToFileURL(r.checkPath).href)) as { default?: CheckFunction };
    if (typeof mod.default !== 'function') {
      send({ t: 'crash', message: `${r.checkPath} has no default export function` });
      return;
    }
    send({ t: 'started' });
    // labd kills this process at the deadline; the signal lets a polite check stop a little earlier.
    setTimeout(() => abort.abort(), Math.max(1, r.timeoutMs - 200)).unref();
    const outcome = await mod.default(contextFor(r, abort.signal));
    // labd validates the shape; this only catches a check that returned nothing at all.
    if (!isOutcome(outcome)) {
      send({ t: 'crash', message: `${r.checkPath} returned something that is not {status, message}` });
      return;
    }
    send({ t: 'verdict', outcome: outcome as Extract<ChildMessage, { t: 'verdict' }>['outcome'] });
  } catch (e) {
    send({ t: 'crash', message: `the check crashed: ${(e as Error)?.message ?? String(e)}` });
  }
}

let started = false;
const onLine = (line: string) => {
  const m = JSON.parse(line) as ParentMessage;
  if (m.t === 'run') {
    if (started) return;
    started = true;
    void run(m);
  } else {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.ok) p?.resolve(m.value);
    else p?.reject(new Error(m.error));
  }
};
chan.on(
  'data',
  lineSplitter(Number.POSITIVE_INFINITY, onLine, () => {}),
);
// labd went away (or closed the channel): nobody will read a verdict, so stop.
chan.on('end', () => process.exit(0));
send({ t: 'ready' });
chan.on('error', () => process.exit(0));
