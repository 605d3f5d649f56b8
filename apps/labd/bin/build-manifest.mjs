// What bin/build.mjs writes and bin/launch.mjs checks: the content hash of the build's inputs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = join(HERE, '../../..');
// ELAB_LABD_DIST moves the build (tests use an empty one to see the fallback).
export const DIST = process.env.ELAB_LABD_DIST || join(HERE, '../dist');

/** sha256 over each input's repo-relative path and bytes; a missing input throws. */
export function hashInputs(inputs, repo = REPO) {
  const h = createHash('sha256');
  for (const p of inputs) h.update(`${p}\0`).update(readFileSync(join(repo, p))).update('\0');
  return h.digest('hex');
}

/** Why the build in dist/ cannot run, or null when it is exactly the sources on disk. */
export function staleReason(dist = DIST, repo = REPO) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8'));
  } catch {
    return `${dist} is not built`;
  }
  try {
    return hashInputs(manifest.inputs, repo) === manifest.hash ? null : `the sources changed since ${dist} was built`;
  } catch (e) {
    return `a source of the build is gone (${e.code ?? e.message})`;
  }
}
