import { webConfig } from '../labd/env';

/** Where lessons live: part of the web's one config (ELAB_CONTENT_DIR overrides; tests use fixtures). */
export function contentPaths(): { repoRoot: string; contentDir: string } {
  const { repoRoot, contentDir } = webConfig();
  return { repoRoot, contentDir };
}
