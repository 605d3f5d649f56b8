import { posix } from 'node:path';
import { FileAccessError, MAX_FILE_BYTES } from '../../workdir.ts';

/**
 * The lab's files live in the guest, so the editor's reads and writes run there, confined to the
 * guest workdir with the same rules as workdir.ts on the host: relative paths only, nothing that
 * resolves (through `..` or a symlink) outside the workdir, regular files up to MAX_FILE_BYTES,
 * no writing through a symlink. Contents travel base64-encoded (stdout and stdin are text).
 */

/** Host-side part of the checks: shape of the path and `..` that leaves the workdir. */
export function checkRelPath(userPath: string): string {
  if (typeof userPath !== 'string' || userPath.length === 0 || userPath.includes('\0')) throw new FileAccessError('path is empty or has a NUL byte', 'invalid');
  if (posix.isAbsolute(userPath)) throw new FileAccessError(`"${userPath}" is absolute; give a path relative to the lab workdir`, 'invalid');
  const norm = posix.normalize(userPath);
  if (norm === '..' || norm.startsWith('../')) throw new FileAccessError(`"${userPath}" is outside the lab workdir`, 'forbidden');
  return norm;
}

// Exit codes of the guest programs, each a refusal the API answers with its own status.
const CODES = { notRegular: 80, outside: 83, missing: 84, tooBig: 85, symlink: 86, noWorkdir: 90 } as const;

/** Resolves $LAB_REL under $LAB_WORKDIR into $p, refusing paths whose real location is outside. */
const RESOLVE = [
  `root=$(realpath -e -- "$LAB_WORKDIR") || exit ${CODES.noWorkdir}`,
  'p=$(realpath -m -- "$root/$LAB_REL")',
  `case "$p" in "$root"|"$root"/*) ;; *) exit ${CODES.outside} ;; esac`,
];

export const READ_PROGRAM = [
  ...RESOLVE,
  `[ -e "$p" ] || exit ${CODES.missing}`,
  `[ -f "$p" ] || exit ${CODES.notRegular}`,
  `[ "$(stat -c %s -- "$p")" -le ${MAX_FILE_BYTES} ] || exit ${CODES.tooBig}`,
  'base64 -w0 -- "$p"',
].join('\n');

export const WRITE_PROGRAM = [
  `[ -L "$LAB_WORKDIR/$LAB_REL" ] && exit ${CODES.symlink}`,
  ...RESOLVE,
  `[ "$p" != "$root" ] && [ ! -d "$p" ] || exit ${CODES.notRegular}`,
  'mkdir -p -- "$(dirname -- "$p")" || exit 1',
  // Decode fully into a file beside the target, then rename it over: a broken transfer or a full
  // disk (ENOSPC while decoding) leaves the old contents, never a truncated file.
  'tmp=$(mktemp -- "$(dirname -- "$p")/.lab-write.XXXXXX") || exit 1',
  'if base64 -d > "$tmp"; then',
  '  if [ -e "$p" ]; then chmod --reference="$p" -- "$tmp" && chown --reference="$p" -- "$tmp"; else chmod 0644 -- "$tmp"; fi && mv -f -- "$tmp" "$p"; rc=$?',
  'else rc=1; fi',
  'rm -f -- "$tmp"; exit $rc',
].join('\n');

/** Unpacks a base64 tar from stdin into the workdir (the starter files at `up`). */
export const UNPACK_PROGRAM = 'base64 -d | tar -x --no-same-owner -f - -C "$LAB_WORKDIR"';

/** Turns a guest program's exit into the refusal workdir.ts would have made, or null when it worked. */
export function fileError(userPath: string, code: number, stderr: string): FileAccessError | Error | null {
  if (code !== 0 && /No space left on device/.test(stderr)) return diskFull(userPath);
  switch (code) {
    case 0:
      return null;
    case CODES.outside:
      return new FileAccessError(`"${userPath}" leads outside the lab workdir (through a symlink)`, 'forbidden');
    case CODES.missing:
      return new FileAccessError(`"${userPath}" does not exist in the lab workdir`, 'not-found');
    case CODES.notRegular:
      return new FileAccessError(`"${userPath}" is not a regular file`, 'invalid');
    case CODES.tooBig:
      return new FileAccessError(`"${userPath}" is over ${MAX_FILE_BYTES} bytes; the editor opens files up to ${MAX_FILE_BYTES}`, 'too-large');
    case CODES.symlink:
      return new FileAccessError(`"${userPath}" is a symlink; write the file it points to instead`, 'forbidden');
    case CODES.noWorkdir:
      return new Error('the lab workdir does not exist in the guest');
    default:
      return new Error(`file access to "${userPath}" in the lab failed (exit ${code}): ${stderr.trim().slice(-300)}`);
  }
}

/** The learner filled the lab's disk: say so, say nothing was lost, and name the two ways out. */
export function diskFull(userPath: string): FileAccessError {
  return new FileAccessError(
    `the lab's disk is full (No space left on device), so "${userPath}" was not saved; what it held before is kept. ` +
      'Delete files you no longer need in the lab (du -xsh /srv/lab/* /tmp/* | sort -h shows the big ones), then save again; or Reset the lab for a fresh disk.',
    'no-space',
  );
}

export function checkWriteSize(data: Buffer | string): Buffer {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  if (buf.length > MAX_FILE_BYTES) throw new FileAccessError(`${buf.length} bytes is over the ${MAX_FILE_BYTES}-byte limit for lab files`, 'too-large');
  return buf;
}
