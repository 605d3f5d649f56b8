import { config } from '../config.ts';

/** apps/labd/native/pidfd.c. */
export interface PidfdAddon {
  pidfdOpen(pid: number): number;
  pidfdGetfd(pidfd: number, fd: number): number;
  getfd(pid: number, fd: number): number;
  checkStream(fd: number): void;
}

/** The addon, or why there is none (not built, built for another Node, not Linux). */
export function loadPidfdAddon(path: string): PidfdAddon | string {
  try {
    // Loaded by path at run time: the esbuild bundle must not try to bundle a .node file.
    const m = { exports: {} as Partial<PidfdAddon> };
    process.dlopen(m, path);
    if (typeof m.exports.pidfdGetfd !== 'function' || typeof m.exports.checkStream !== 'function')
      return `${path} is not this version's pidfd addon (npm run build:labd)`;
    return m.exports as PidfdAddon;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ERR_DLOPEN_FAILED' && /No such file/.test((e as Error).message)
      ? `${path} is not built (npm run build:labd builds it)`
      : `${path} does not load: ${(e as Error).message}`;
  }
}

let shared: PidfdAddon | string | undefined;

/** This process's addon, from the Config's path (ELAB_PIDFD_ADDON), loaded once; a string says why there is none. */
export function pidfdAddon(): PidfdAddon | string {
  return (shared ??= loadPidfdAddon(config().pidfdAddon));
}
