import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

const Env = z.object({
  ELAB_CONTENT_DIR: z.string().min(1).optional(),
  ELAB_LABS_DIR: z.string().min(1).optional(),
});

function findRepoRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).workspaces) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the repository root (a package.json with "workspaces") above ${from}`);
  }
}

let cached: { repoRoot: string; contentDir: string; labsDir: string } | undefined;

/** Where lessons and labs live; ELAB_CONTENT_DIR / ELAB_LABS_DIR override (tests use fixtures). */
export function contentPaths() {
  if (cached) return cached;
  const env = Env.safeParse(process.env);
  if (!env.success) throw new Error(`environment: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  // Content is read at request time from the repository, never traced into the build.
  const repoRoot = findRepoRoot(process.cwd());
  cached = {
    repoRoot,
    contentDir: resolve(/* turbopackIgnore: true */ env.data.ELAB_CONTENT_DIR ?? join(repoRoot, 'content')),
    labsDir: resolve(/* turbopackIgnore: true */ env.data.ELAB_LABS_DIR ?? join(repoRoot, 'labs')),
  };
  return cached;
}
