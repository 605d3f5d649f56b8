// What bin/build.mjs writes and bin/launch.mjs checks: the content hash of the build's inputs.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = join(HERE, '../../..');
// ELAB_LABD_DIST moves the build (tests use an empty one to see the fallback).
export const DIST = process.env.ELAB_LABD_DIST || join(HERE, '../dist');

/**
 * Inputs esbuild's metafile does not list but that shape the bundle: the tsconfig files (paths,
 * JSX, target), the packages' package.json (exports, how imports resolve), the build script and
 * this file. Repo-relative, only those that exist.
 */
export function configInputs(repo = REPO) {
  const dirs = ['', 'apps/labd', ...listDir(join(repo, 'packages')).map((d) => `packages/${d}`)];
  const out = ['apps/labd/bin/build.mjs', 'apps/labd/bin/build-manifest.mjs', 'package-lock.json'];
  for (const d of dirs) {
    for (const f of listDir(join(repo, d))) if (/^tsconfig.*\.json$/.test(f) || (f === 'package.json' && d)) out.push(d ? `${d}/${f}` : f);
  }
  return out.filter((p) => existsSync(join(repo, p)));
}

function listDir(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** sha256 over each input's repo-relative path and bytes; a missing input throws. */
export function hashInputs(inputs, repo = REPO, read = (p) => readFileSync(join(repo, p))) {
  // Loaded only when a stamp differs: node:crypto alone is ~10 ms of a start.
  const h = createRequire(import.meta.url)('node:crypto').createHash('sha256');
  for (const p of inputs) h.update(`${p}\0`).update(read(p)).update('\0');
  return h.digest('hex');
}

/**
 * One string per input that changes whenever its bytes can have: inode, size, mtime and ctime.
 * ctime cannot be set from user space (writing, or resetting the mtime with touch, moves it), so
 * equal stamps mean the file was not written since the build; unequal ones only mean "hash it".
 */
export function stampInputs(inputs, repo = REPO) {
  return inputs.map((p) => {
    const s = statSync(join(repo, p), { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  });
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
    // Fast path (~1 ms instead of hashing ~110 files at every start): no input written since the build.
    const stamps = manifest.stamps;
    if (Array.isArray(stamps) && stamps.length === manifest.inputs.length && stampInputs(manifest.inputs, repo).every((s, i) => s === stamps[i])) return null;
    return hashInputs(manifest.inputs, repo) === manifest.hash ? null : `the sources changed since ${dist} was built`;
  } catch (e) {
    return `a source of the build is gone (${e.code ?? e.message})`;
  }
}
