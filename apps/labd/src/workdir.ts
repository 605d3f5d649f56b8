import { closeSync, constants, cpSync, lstatSync, mkdirSync, openSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { MAX_FILE_BYTES } from '@ebpf-lab/protocol';
import { DomainError } from './errors.ts';

/** A refused file request: a bad path, one that leads outside the workdir, a missing or oversized file, a full disk. */
export class FileAccessError extends DomainError {
  constructor(message: string, kind: 'invalid' | 'forbidden' | 'not-found' | 'too-large' | 'no-space') {
    super(
      kind,
      message,
      kind === 'invalid' || kind === 'forbidden' ? 'give a path relative to the lab workdir, e.g. bpf/hello/hello.bpf.c' : undefined,
      kind === 'invalid' ? { field: 'path' } : undefined,
    );
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
 * Checks a learner-supplied path and returns its components below the workdir. Only the words of
 * the path are judged here; what they lead to is judged while opening (openBeneath).
 */
export function confine(workdir: string, userPath: string): string[] {
  if (typeof userPath !== 'string' || userPath.length === 0 || userPath.includes('\0')) throw new FileAccessError('path is empty or has a NUL byte', 'invalid');
  if (isAbsolute(userPath)) throw new FileAccessError(`"${userPath}" is absolute; give a path relative to the lab workdir`, 'invalid');
  const target = resolve(workdir, userPath);
  if (!inside(workdir, target)) throw new FileAccessError(`"${userPath}" is outside the lab workdir`, 'forbidden');
  const names = relative(workdir, target).split(sep).filter(Boolean);
  if (names.length === 0) throw new FileAccessError('that is the lab workdir itself; name a file in it', 'invalid');
  return names;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** `name` inside the directory open as `dirFd`: what openat(dirFd, name) sees, with no path walk above it. */
const at = (dirFd: number, name: string) => `/proc/self/fd/${dirFd}/${name}`;

function refusal(e: unknown, userPath: string): Error {
  switch (code(e)) {
    case 'ENOENT':
      return new FileAccessError(`"${userPath}" does not exist in the lab workdir`, 'not-found');
    case 'ELOOP':
      return new FileAccessError(`"${userPath}" leads through a symlink; the file API opens only real files and directories in the lab workdir`, 'forbidden');
    case 'ENOTDIR':
      return new FileAccessError(`part of "${userPath}" is not a directory`, 'invalid');
    case 'EISDIR':
      return new FileAccessError(`"${userPath}" is a directory, not a file`, 'invalid');
    case 'ENXIO':
      return new FileAccessError(`"${userPath}" is not a regular file`, 'invalid');
    default:
      return e as Error;
  }
}

/**
 * Opens the directory that holds the path's last component, one component at a time from the
 * workdir, never following a symlink (each step opens `name` relative to the previous directory's
 * descriptor with O_NOFOLLOW). labd runs in the host's mount namespace, so resolving a learner's
 * path by name would let a symlink swapped in between a check and the open lead anywhere on the
 * host; a descriptor cannot be swapped. With `create`, missing directories are made on the way.
 */
function isSymlinkAt(dirFd: number, name: string): boolean {
  try {
    return lstatSync(at(dirFd, name)).isSymbolicLink();
  } catch {
    return false;
  }
}

function openParent(workdir: string, dirs: string[], create: boolean, userPath: string): number {
  let fd = openSync(workdir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    for (const name of dirs) {
      let next: number;
      try {
        next = openSync(at(fd, name), DIR_FLAGS);
      } catch (e) {
        // With O_DIRECTORY the kernel answers ENOTDIR for a symlink too: say which it is.
        if (code(e) === 'ENOTDIR' && isSymlinkAt(fd, name)) throw refusal(Object.assign(new Error('symlink'), { code: 'ELOOP' }), userPath);
        if (code(e) !== 'ENOENT' || !create) throw refusal(e, userPath);
        try {
          mkdirSync(at(fd, name));
        } catch (m) {
          if (code(m) !== 'EEXIST') throw m;
        }
        try {
          next = openSync(at(fd, name), DIR_FLAGS);
        } catch (e2) {
          throw refusal(e2, userPath);
        }
      }
      closeSync(fd);
      fd = next;
    }
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** What an open descriptor really is: a regular file below the workdir, or a refusal. */
async function checkOpened(fh: FileHandle, workdir: string, userPath: string): Promise<Stats> {
  const st = await fh.stat();
  if (!st.isFile()) throw new FileAccessError(`"${userPath}" is not a regular file`, 'invalid');
  // Belt and braces: the walk cannot leave the workdir, and the kernel agrees where the file is.
  if (!inside(realpathSync(workdir), readlinkSync(`/proc/self/fd/${fh.fd}`)))
    throw new FileAccessError(`"${userPath}" is outside the lab workdir`, 'forbidden');
  return st;
}

// O_NONBLOCK: opening a FIFO a learner planted must neither wait for a peer nor tie up a thread.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export async function readConfined(workdir: string, userPath: string): Promise<Buffer> {
  const names = confine(workdir, userPath);
  const dirFd = openParent(workdir, names.slice(0, -1), false, userPath);
  let fh: FileHandle;
  try {
    fh = await open(at(dirFd, names.at(-1)!), READ_FLAGS);
  } catch (e) {
    throw refusal(e, userPath);
  } finally {
    closeSync(dirFd);
  }
  try {
    const st = await checkOpened(fh, workdir, userPath);
    if (st.size > MAX_FILE_BYTES) throw new FileAccessError(`"${userPath}" is ${st.size} bytes; the editor opens files up to ${MAX_FILE_BYTES}`, 'too-large');
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

export async function writeConfined(workdir: string, userPath: string, data: Buffer | string): Promise<void> {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (size > MAX_FILE_BYTES) throw new FileAccessError(`${size} bytes is over the ${MAX_FILE_BYTES}-byte limit for lab files`, 'too-large');
  const names = confine(workdir, userPath);
  const dirFd = openParent(workdir, names.slice(0, -1), true, userPath);
  let fh: FileHandle;
  try {
    fh = await open(at(dirFd, names.at(-1)!), WRITE_FLAGS, 0o644);
  } catch (e) {
    throw refusal(e, userPath);
  } finally {
    closeSync(dirFd);
  }
  try {
    await checkOpened(fh, workdir, userPath);
    // Truncated only once it is known to be a regular file of the workdir.
    await fh.truncate(0);
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
}

/** Copies starter content into a fresh workdir, skipping build output. */
export function copyInto(src: string, dest: string): void {
  cpSync(src, dest, {
    recursive: true,
    filter: (s) => !s.split(sep).includes('.output') && !s.split(sep).includes('node_modules'),
  });
}
