import { join } from 'node:path';
import { config } from '../../config.ts';
import { holderAlive, listRecords, removeRecord, type HolderRecord } from './records.ts';

/** Where labd's holders keep their records and sockets. */
export const terminalsDir = () => join(config().stateDir, 'terminals');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends one holder and its shell: SIGTERM (the holder hangs up its shell and exits), then SIGKILL
 * for both if it is still there after `waitMs`. A dead holder's leftover files are removed.
 */
export async function endHolder(r: HolderRecord, dir = terminalsDir(), waitMs = 3000): Promise<void> {
  if (holderAlive(r)) {
    try {
      process.kill(r.holderPid, 'SIGTERM');
    } catch {
      /* just exited */
    }
    for (const deadline = Date.now() + waitMs; holderAlive(r) && Date.now() < deadline;) await sleep(20);
    if (holderAlive(r)) {
      try {
        process.kill(r.holderPid, 'SIGKILL');
      } catch {
        /* gone */
      }
      try {
        process.kill(r.shellPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  removeRecord(dir, r.id);
}

/** Ends the shells of one lab instance (it is being taken down). */
export async function endHoldersOf(instanceId: string, dir = terminalsDir()): Promise<void> {
  await Promise.all(
    listRecords(dir)
      .filter((r) => r.instanceId === instanceId)
      .map((r) => endHolder(r, dir)),
  );
}

/** Ends holders whose lab is gone (`lab reap`); `isLive` answers per instance id. */
export async function reapHolders(isLive: (instanceId: string) => Promise<boolean>, dir = terminalsDir()): Promise<string[]> {
  const ended: string[] = [];
  for (const r of listRecords(dir)) {
    if (!holderAlive(r)) {
      removeRecord(dir, r.id);
      continue;
    }
    if (await isLive(r.instanceId)) continue;
    await endHolder(r, dir);
    ended.push(r.id);
  }
  return ended;
}
