import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labBin, type CliResult } from '../../test-support/lab-cli.ts';

/**
 * A labs dir with one minimal netns lab (one node, one step, no setup), so the isolation and limit
 * tests start in a second instead of building a real lesson. `limits` goes into its lab.yaml.
 */
export function minimalLabsDir(limits?: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'elab-labs-'));
  mkdirSync(join(dir, 'bare', 'steps', 'only'), { recursive: true });
  const lim = limits
    ? `limits: { ${Object.entries(limits)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')} }\n`
    : '';
  writeFileSync(
    join(dir, 'bare', 'lab.yaml'),
    `id: bare\ntitle: A bare lab for driver tests\ndrivers: [netns]\n${lim}steps:\n  - id: only\n    title: The only step\n`,
  );
  writeFileSync(join(dir, 'bare', 'steps', 'only', 'solve.sh'), 'true\n');
  writeFileSync(join(dir, 'bare', 'steps', 'only', 'check.sh'), 'exit 1\n');
  return dir;
}

/** The `lab` CLI without blocking, so a test can poke a second lab while the first one misbehaves. */
export function labAsync(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [labBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}
