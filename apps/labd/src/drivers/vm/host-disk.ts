import { existsSync, statfsSync } from 'node:fs';
import { qmp } from './qmp.ts';

/**
 * MiB QEMU could still write on the filesystem holding `dir`. QEMU runs as labd's own user
 * (qemu.ts): as root it also fills the blocks ext4 reserves for root (5% by default), so it pauses
 * on a full disk only when bfree reaches 0, and counting bavail (what others may use) would never
 * see room come back until the whole reserve was freed too, nor name the right amount.
 */
export function freeMiB(dir: string, uid = process.getuid?.() ?? -1): number {
  const s = statfsSync(dir);
  return Math.floor((Number(uid === 0 ? s.bfree : s.bavail) * Number(s.bsize)) / 2 ** 20);
}

/**
 * Room a paused guest needs on its host disk before it is resumed: less would pause it again at
 * once. Its next writes are what the learner was doing; a new guest needs far more (minFreeMiB).
 */
export const RESUME_FREE_MIB = 64;

/**
 * Why a live guest cannot run, or null when it can. A write to its overlay that found the host
 * disk full paused it (QMP status io-error, a block device with io-status nospace): the learner's
 * terminal froze. The answer names the directory and how much to free there. When the room is
 * back (`resume`, the default), the guest is continued and null returned: whoever looks heals it.
 */
export async function hostDiskProblem(id: string, d: { hostDir: string; qmpSocket?: string }, o: { resume?: boolean } = {}): Promise<string | null> {
  if (!d.qmpSocket || !existsSync(d.qmpSocket)) return null;
  // Short: GET /v1/lab and the class roster wait for this answer (QEMU's main loop answers in ms).
  const [status, blocks] = (await qmp(d.qmpSocket, [{ execute: 'query-status' }, { execute: 'query-block' }], 3000)) as [
    { status: string },
    { 'io-status'?: string }[],
  ];
  if (status.status !== 'io-error') return null;
  const dir = d.hostDir;
  const free = freeMiB(dir);
  if (!blocks.some((b) => b['io-status'] === 'nospace')) {
    return `The lab's VM is paused after a disk error on the host (not a full disk) under ${dir}: see the host's kernel log. Remove it with: lab down ${id}`;
  }
  if (free >= RESUME_FREE_MIB && o.resume !== false) {
    await qmp(d.qmpSocket, [{ execute: 'cont' }]);
    return null;
  }
  return (
    `The lab's VM is paused: the host disk holding it is full (${dir} has ${free} MiB free). ` +
    `Free at least ${RESUME_FREE_MIB - free} MiB there (lab reap removes what crashed labs left); the VM then resumes by itself within seconds. ` +
    `Or remove it with: lab down ${id}`
  );
}
