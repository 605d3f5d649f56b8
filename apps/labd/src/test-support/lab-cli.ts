import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const labBin = join(repoRoot, 'apps/labd/bin/lab.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `lab` CLI as a separate process, the way a user would. */
export function lab(args: string[], opts: { env?: NodeJS.ProcessEnv; cmdPrefix?: string[]; timeoutMs?: number } = {}): CliResult {
  const [cmd, ...pre] = opts.cmdPrefix ?? [];
  const r = cmd
    ? spawnSync(cmd, [...pre, process.execPath, labBin, ...args], { env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000 })
    : spawnSync(process.execPath, [labBin, ...args], { env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A private state dir so tests never see each other's instances. */
export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'elab-test-'));
}

export const isRoot = process.getuid?.() === 0;
