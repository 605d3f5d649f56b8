import { closeSync } from 'node:fs';
import { config } from '../../config.ts';
import { loadPidfdAddon, type PidfdAddon } from '../handoff.ts';
import { holderAlive, type HolderRecord } from './records.ts';

let addon: PidfdAddon | string | undefined;
const loaded = () => (addon ??= loadPidfdAddon(config().pidfdAddon));

/** Whether labd can copy a holder's pty master here (the pidfd addon is built and loads). */
export const canTakeFds = () => typeof loaded() !== 'string';

/**
 * labd's own copy of a holder's pty master (pidfd_getfd(2): root, this host), or null when it
 * cannot be had (no addon, an old kernel, the holder gone): the holder then relays frames as before.
 * The process is pinned first, so the holder checked is the one copied from, never a reused pid.
 */
export function takeHolderPty(r: HolderRecord): number | null {
  const a = loaded();
  if (typeof a === 'string' || r.masterFd === undefined) return null;
  let pidfd: number;
  try {
    pidfd = a.open(r.holderPid);
  } catch {
    return null;
  }
  try {
    return holderAlive(r) ? a.getpty(pidfd, r.masterFd) : null;
  } catch (e) {
    process.stderr.write(`labd: terminal holder ${r.id}: cannot read its pty directly, it relays: ${(e as Error).message}\n`);
    return null;
  } finally {
    closeSync(pidfd);
  }
}
