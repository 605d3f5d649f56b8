import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the cgroup v2 hierarchy is mounted on this host (it varies: /sys/fs/cgroup or …/unified). */
export function cgroup2Root(): string | null {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n');
  for (const line of mounts) {
    const [, mnt, type] = line.split(' ');
    if (type === 'cgroup2' && mnt) return mnt;
  }
  return null;
}

export const LAB_CGROUP_PARENT = 'ebpf-lab';

export function labCgroupBase(): string {
  const root = cgroup2Root();
  if (!root) throw new Error('no cgroup v2 hierarchy is mounted; mount one with: mount -t cgroup2 none /sys/fs/cgroup/unified');
  return join(root, LAB_CGROUP_PARENT);
}

/** Every pid in a cgroup subtree. */
export function cgroupPids(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const out: number[] = [];
  const walk = (d: string) => {
    try {
      for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p) out.push(Number(p));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch {
      /* removed while walking */
    }
  };
  walk(dir);
  return out;
}

/** Kills every process in the subtree and removes it. Waits (bounded) until the kernel has reaped them. */
export async function destroyCgroup(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const killFile = join(dir, 'cgroup.kill');
  for (let i = 0; i < 200; i++) {
    const pids = cgroupPids(dir);
    if (pids.length === 0) break;
    if (existsSync(killFile)) {
      try {
        writeFileSync(killFile, '1');
      } catch {
        /* fall back to signals */
      }
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const rm = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(join(d, e.name));
    rmdirSync(d);
  };
  for (let i = 0; i < 50; i++) {
    try {
      rm(dir);
      return;
    } catch (e) {
      // Gone already (another lab's up reaped it, or a second down): removed is what we wanted.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`cgroup ${dir} is still busy after killing its processes`);
}
