import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).workspaces) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (a package.json with "workspaces") above labd');
    dir = up;
  }
}

const Env = z.object({
  ELAB_LABS_DIR: z.string().optional(),
  ELAB_STATE_DIR: z.string().default('/var/lib/ebpf-lab'),
});

export interface Config { repoRoot: string; labsDir: string; stateDir: string; libexecDir: string }

let cached: Config | undefined;

/** Paths labd works with; env vars are validated once, and a bad one names itself. */
export function config(): Config {
  if (cached) return cached;
  const env = Env.safeParse(process.env);
  if (!env.success) throw new Error(`environment: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const repoRoot = findRepoRoot();
  cached = {
    repoRoot,
    labsDir: resolve(env.data.ELAB_LABS_DIR ?? join(repoRoot, 'labs')),
    stateDir: resolve(env.data.ELAB_STATE_DIR),
    libexecDir: join(repoRoot, 'apps/labd/libexec'),
  };
  return cached;
}
