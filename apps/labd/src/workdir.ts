import { cpSync, existsSync, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { MAX_FILE_BYTES } from '@ebpf-lab/protocol';

/** A refused file request; `status` is the HTTP status the API answers with. */
export class FileAccessError extends Error {
  constructor(message: string, readonly status: 400 | 403 | 404 | 413) {
    super(message);
    this.name = 'FileAccessError';
  }
}

// Shared with the web, which refuses oversized file PUTs before buffering them.
export { MAX_FILE_BYTES } from '@ebpf-lab/protocol';

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Resolves a learner-supplied path inside the workdir. The check is on the real path (symlinks
 * followed) of the file, or of its nearest existing parent for a new file, so neither `..` nor a
 * symlink planted in the workdir can reach outside it.
 */
export function confine(workdir: string, userPath: string): string {
  if (typeof userPath !== 'string' || userPath.length === 0 || userPath.includes('\0')) throw new FileAccessError('path is empty or has a NUL byte', 400);
  if (isAbsolute(userPath)) throw new FileAccessError(`"${userPath}" is absolute; give a path relative to the lab workdir`, 400);
  const root = realpathSync(workdir);
  const target = resolve(root, userPath);
  if (!inside(root, target)) throw new FileAccessError(`"${userPath}" is outside the lab workdir`, 403);
  let probe = target;
  while (!existsSync(probe) && probe !== root) {
    try { lstatSync(probe); break; } catch { probe = dirname(probe); }
  }
  const real = existsSync(probe) ? realpathSync(probe) : probe;
  if (!inside(root, real)) throw new FileAccessError(`"${userPath}" leads outside the lab workdir (through a symlink)`, 403);
  return target;
}

export async function readConfined(workdir: string, userPath: string): Promise<Buffer> {
  const p = confine(workdir, userPath);
  if (!existsSync(p)) throw new FileAccessError(`"${userPath}" does not exist in the lab workdir`, 404);
  const st = lstatSync(p);
  if (!st.isFile()) throw new FileAccessError(`"${userPath}" is not a regular file`, 400);
  if (st.size > MAX_FILE_BYTES) throw new FileAccessError(`"${userPath}" is ${st.size} bytes; the editor opens files up to ${MAX_FILE_BYTES}`, 413);
  return readFile(p);
}

export async function writeConfined(workdir: string, userPath: string, data: Buffer | string): Promise<void> {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (size > MAX_FILE_BYTES) throw new FileAccessError(`${size} bytes is over the ${MAX_FILE_BYTES}-byte limit for lab files`, 413);
  const p = confine(workdir, userPath);
  if (existsSync(p) && lstatSync(p).isSymbolicLink()) throw new FileAccessError(`"${userPath}" is a symlink; write the file it points to instead`, 403);
  mkdirSync(dirname(p), { recursive: true });
  confine(workdir, relative(realpathSync(workdir), p));
  await writeFile(p, data);
}

/** Copies starter content into a fresh workdir, skipping build output. */
export function copyInto(src: string, dest: string): void {
  cpSync(src, dest, {
    recursive: true,
    filter: (s) => !s.split(sep).includes('.output') && !s.split(sep).includes('node_modules'),
  });
}

