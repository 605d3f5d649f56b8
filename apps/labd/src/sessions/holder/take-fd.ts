import { closeSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';

// TEMPORARY loader (dev): replaced by the native addon's loader when the handoff branch merges.
let addon: { getfd(pid: number, fd: number): number } | null | undefined;

function load() {
  if (addon !== undefined) return addon;
  try {
    addon = createRequire(import.meta.url)(process.env.ELAB_PIDFD_ADDON ?? '/tmp/pidfd-dev/pidfd.node') as typeof addon;
  } catch {
    addon = null;
  }
  return addon;
}

/** Whether this process can copy other processes' fds at all (the addon is built and loads). */
export const canTakeFds = () => load() !== null;

/**
 * Copies fd `fd` of process `pid` into this one (pidfd_getfd(2): root, same host) if it is what
 * `link` says (/proc/self/fd/N's target, e.g. /dev/ptmx); null when this host cannot or it is not.
 */
export function takeFd(pid: number, fd: number, link: string): number | null {
  const a = load();
  if (!a) return null;
  let got: number;
  try {
    got = a.getfd(pid, fd);
  } catch {
    return null;
  }
  let target = '';
  try {
    target = readlinkSync(`/proc/self/fd/${got}`);
  } catch {
    /* checked below */
  }
  if (target !== link) {
    closeSync(got);
    return null;
  }
  return got;
}
