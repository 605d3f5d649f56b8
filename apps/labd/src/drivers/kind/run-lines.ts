import { spawn } from 'node:child_process';
import type { RunResult } from '../../proc.ts';

/**
 * Like proc.run, but hands each output line (stdout and stderr: kind reports progress on stderr)
 * to `onLine` as it arrives, so `up` can report progress while kind and helm work. The child gets
 * its own process group; a timeout kills the whole group.
 */
export function runLines(
  cmd: string,
  args: string[],
  o: { onLine: (line: string) => void; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const kept = { stdout: '', stderr: '' };
    let timedOut = false;
    const feed = (which: 'stdout' | 'stderr') => {
      let partial = '';
      const stream = child[which]!;
      stream.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        kept[which] = (kept[which] + text).slice(-256 * 1024);
        const lines = (partial + text).split(/\r?\n|\r/);
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) o.onLine(l);
      });
      stream.on('end', () => {
        if (partial.trim()) o.onLine(partial);
      });
    };
    feed('stdout');
    feed('stderr');
    const timer = o.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, o.timeoutMs)
      : undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') resolve({ code: 127, stdout: '', stderr: `${cmd}: command not found`, ms: performance.now() - started, timedOut: false });
      else reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 137, stdout: kept.stdout, stderr: kept.stderr, ms: performance.now() - started, timedOut });
    });
  });
}
