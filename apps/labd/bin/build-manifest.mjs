// What bin/build.mjs writes and bin/launch.mjs checks: the content hash of the build's inputs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = join(HERE, '../../..');
export const DIST = join(HERE, '../dist');

/** sha256 over each input's repo-relative path and bytes; a missing input throws. */
export function hashInputs(inputs) {
  const h = createHash('sha256');
  for (const p of inputs) h.update(`${p}\0`).update(readFileSync(join(REPO, p))).update('\0');
  return h.digest('hex');
}

/** Why the build in dist/ cannot run, or null when it is exactly the sources on disk. */
export function staleReason() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(DIST, 'manifest.json'), 'utf8'));
  } catch {
    return 'apps/labd/dist is not built';
  }
  try {
    return hashInputs(manifest.inputs) === manifest.hash ? null : 'the sources changed since apps/labd/dist was built';
  } catch (e) {
    return `a source of the build is gone (${e.code ?? e.message})`;
  }
}
