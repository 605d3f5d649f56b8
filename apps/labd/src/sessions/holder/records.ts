import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { procStartTime } from '../../proc-stat.ts';

// Shared by labd and the holder program, so nothing here may need labd's config (the holder is a
// bundle of its own; see bundle.ts).

/**
 * What a terminal holder writes about itself (and removes when it exits), so a restarted labd
 * can find it again, and `lab down` can end the shells of a lab it takes down.
 */
export interface HolderRecord {
  id: string;
  learnerId: string;
  instanceId: string;
  node: string;
  holderPid: number;
  /** Field 22 of /proc/<pid>/stat: tells the holder from a later process that reused its pid. */
  holderStart: string;
  shellPid: number;
  socket: string;
  /** The pty master's fd number in the holder, which a labd on this host copies to read it directly. */
  masterFd?: number;
}

export const socketPathOf = (dir: string, id: string) => join(dir, `${id}.sock`);
const recordPathOf = (dir: string, id: string) => join(dir, `${id}.json`);

/** Unix socket paths are limited to 108 bytes (sun_path), including the terminating NUL. */
export const MAX_SOCKET_PATH = 107;

export { procStartTime };

export const holderAlive = (r: HolderRecord) => procStartTime(r.holderPid) === r.holderStart;

/** Creates the directory holders live in: root's alone (0700), as are the sockets in it. */
export function ensureTerminalsDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // also when an older or hand-made directory was wider
  return dir;
}

export function writeRecord(dir: string, r: HolderRecord): void {
  const tmp = `${recordPathOf(dir, r.id)}.tmp`;
  writeFileSync(tmp, JSON.stringify(r), { mode: 0o600 });
  renameSync(tmp, recordPathOf(dir, r.id));
}

/** Removes a holder's record, socket and log (labd keeps the log only while a holder starts). */
export function removeRecord(dir: string, id: string): void {
  rmSync(recordPathOf(dir, id), { force: true });
  rmSync(socketPathOf(dir, id), { force: true });
  rmSync(join(dir, `${id}.log`), { force: true });
}

/** Every record in the directory; unreadable ones (a holder killed mid-write) are dropped. */
export function listRecords(dir: string): HolderRecord[] {
  if (!existsSync(dir)) return [];
  const out: HolderRecord[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as HolderRecord);
    } catch {
      rmSync(join(dir, name), { force: true });
    }
  }
  return out;
}
