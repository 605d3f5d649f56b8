import { spawn, type SpawnOptions } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  stdin?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Bytes kept of each stream; the rest is dropped (the tail is kept) so a chatty command cannot exhaust memory. */
  maxOutput?: number;
}

const DEFAULT_MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * Runs a command without a shell. The child gets its own process group so a timeout or abort kills
 * everything it started, not just the first process.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const max = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] };
    const child = spawn(cmd, args, spawnOpts);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const keep = (buf: string, chunk: Buffer) => {
      const s = buf + chunk.toString('utf8');
      return s.length > max ? s.slice(s.length - max) : s;
    };
    child.stdout!.on('data', (c: Buffer) => {
      stdout = keep(stdout, c);
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr = keep(stderr, c);
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killGroup();
        }, opts.timeoutMs)
      : undefined;
    const onAbort = () => {
      timedOut = true;
      killGroup();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (e.code === 'ENOENT') resolve({ code: 127, stdout: '', stderr: `${cmd}: command not found`, ms: performance.now() - started, timedOut: false });
      else reject(e);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ code: code ?? (sig ? 128 + 9 : 1), stdout, stderr, ms: performance.now() - started, timedOut });
    });
    child.stdin!.on('error', () => {
      /* the child may exit without reading its input */
    });
    child.stdin!.end(opts.stdin ?? '');
  });
}

/** Like run(), but throws with the command's stderr when it exits non-zero. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r;
}
