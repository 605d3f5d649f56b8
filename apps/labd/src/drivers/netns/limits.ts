import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LimitsSpec } from '@ebpf-lab/lab-spec';
import { run } from '../../proc.ts';
import { cgroup2Root, destroyCgroup, LAB_CGROUP_PARENT } from './cgroup.ts';
import { instanceIdOf } from '../lab-names.ts';

export type LabLimits = Required<LimitsSpec>;

/** Enough for clang on the bpf/ tools and a three-node lab's python servers; lab.yaml may raise it. */
export const DEFAULT_LIMITS: LabLimits = { memoryMiB: 1024, pids: 1024, cpuPercent: 100, workdirMiB: 512 };

export const resolveLimits = (spec?: LimitsSpec): LabLimits => ({ ...DEFAULT_LIMITS, ...spec });

export type Controller = 'memory' | 'pids' | 'cpu' | 'devices';
const CONTROLLERS: Controller[] = ['memory', 'pids', 'cpu', 'devices'];

/**
 * The device nodes a lab may open: what lab-root.py puts in its /dev (null, zero, full, random,
 * urandom, tty, the devpts instance's ptmx and ptys). A lab keeps CAP_SYS_ADMIN and may mount a fresh
 * devtmpfs read-only (seccomp allows new read-only mounts), which holds every host device node: the
 * devices cgroup is what stops it opening the host's disks, loop devices, /dev/kvm or /dev/mem there.
 */
export const LAB_DEVICES = ['c 1:3', 'c 1:5', 'c 1:7', 'c 1:8', 'c 1:9', 'c 5:0', 'c 5:2', 'c 136:*'];

/** Where each controller can be used: its own v1 hierarchy, else the v2 one if enabled there. */
export interface ControllerPlace {
  ctrl: Controller;
  version: 1 | 2;
  root: string;
}

function v1Mounts(): Map<Controller, string> {
  const out = new Map<Controller, string>();
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mnt, type, opts] = line.split(' ');
    if (type !== 'cgroup' || !mnt || !opts) continue;
    for (const c of CONTROLLERS) if (opts.split(',').includes(c) && !out.has(c)) out.set(c, mnt);
  }
  return out;
}

function v2Available(): Set<string> {
  const root = cgroup2Root();
  if (!root) return new Set();
  try {
    return new Set(readFileSync(join(root, 'cgroup.controllers'), 'utf8').trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

export function controllerPlaces(): ControllerPlace[] {
  const v1 = v1Mounts();
  const v2 = v2Available();
  const root2 = cgroup2Root();
  const out: ControllerPlace[] = [];
  for (const ctrl of CONTROLLERS) {
    const m = v1.get(ctrl);
    if (m) out.push({ ctrl, version: 1, root: m });
    else if (root2 && v2.has(ctrl) && ctrl !== 'devices') out.push({ ctrl, version: 2, root: root2 });
  }
  return out;
}

/** v1 hierarchies whose lab directories must be created, joined and removed (v2 is cgroup.ts's). */
const v1Places = () => controllerPlaces().filter((p) => p.version === 1);

/** The v1 directories of one lab member (the v2 one is the driver's `cgroup`), created if missing. */
export function memberV1Dirs(prefix: string, member: string): string[] {
  const dirs = [...new Set(v1Places().map((p) => join(p.root, LAB_CGROUP_PARENT, prefix, member)))];
  for (const d of dirs) mkdirSync(d, { recursive: true });
  return dirs;
}

/**
 * Creates the lab's cgroup in every hierarchy and writes its limits there (one level above the
 * members, so a member's cgroup namespace root cannot loosen them). Returns what is enforced.
 */
export function applyLimits(prefix: string, limits: LabLimits): string[] {
  const enforced: string[] = [];
  const values: Record<Controller, [file1: [string, string, required?: boolean][], file2: [string, string][], label: string]> = {
    memory: [
      [
        ['memory.limit_in_bytes', String(limits.memoryMiB * 1048576)],
        ['memory.memsw.limit_in_bytes', String(limits.memoryMiB * 1048576)],
      ],
      [
        ['memory.max', String(limits.memoryMiB * 1048576)],
        ['memory.swap.max', '0'],
      ],
      `memory ${limits.memoryMiB} MiB`,
    ],
    pids: [[['pids.max', String(limits.pids)]], [['pids.max', String(limits.pids)]], `pids ${limits.pids}`],
    cpu: [
      [
        ['cpu.cfs_period_us', '100000'],
        ['cpu.cfs_quota_us', String(limits.cpuPercent * 1000)],
      ],
      [['cpu.max', `${limits.cpuPercent * 1000} 100000`]],
      `cpu ${limits.cpuPercent}%`,
    ],
    // Deny everything, then allow the lab's own /dev; the members' cgroups below inherit the list.
    // (cgroup v2 has no devices controller file: it takes a BPF program, not done here.)
    devices: [
      [['devices.deny', 'a', true], ...LAB_DEVICES.map((d): [string, string, boolean] => ['devices.allow', `${d} rwm`, true])],
      [],
      "devices: the lab's /dev only",
    ],
  };
  for (const place of controllerPlaces()) {
    const dir = join(place.root, LAB_CGROUP_PARENT, prefix);
    if (place.version === 2) enableV2(place.root, place.ctrl);
    mkdirSync(dir, { recursive: true });
    const [f1, f2, label] = values[place.ctrl];
    for (const [i, [file, value, required]] of (place.version === 1 ? f1 : f2).entries()) {
      // memsw and swap.max only exist with swap accounting; the first file is the limit itself.
      try {
        writeFileSync(join(dir, file), value);
      } catch (e) {
        if (i === 0 || required) throw new Error(`cannot set ${file} (${value}) on ${dir}: ${(e as Error).message}`);
      }
    }
    enforced.push(`${label} (cgroup v${place.version})`);
  }
  return enforced;
}

/** v2 controllers only work where every ancestor delegates them through cgroup.subtree_control. */
function enableV2(root: string, ctrl: Controller): void {
  mkdirSync(join(root, LAB_CGROUP_PARENT), { recursive: true });
  for (const d of [root, join(root, LAB_CGROUP_PARENT)]) writeFileSync(join(d, 'cgroup.subtree_control'), `+${ctrl}`);
}

/** Lab ids that still have a cgroup in some v1 hierarchy (for reap after a crash). */
export function v1LabIds(): string[] {
  const ids: string[] = [];
  for (const p of v1Places()) {
    const base = join(p.root, LAB_CGROUP_PARENT);
    if (!existsSync(base)) continue;
    for (const n of readdirSync(base)) {
      const id = instanceIdOf(n, 'none');
      if (id) ids.push(id);
    }
  }
  return ids;
}

export async function destroyV1Cgroups(prefix: string): Promise<void> {
  for (const p of v1Places()) await destroyCgroup(join(p.root, LAB_CGROUP_PARENT, prefix));
}

/** The workdir as a tmpfs of bounded size, mounted on the host so labd reads and writes it as before. */
export async function mountWorkdir(workdir: string, prefix: string, mib: number): Promise<void> {
  const r = await run('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0755,nosuid,nodev`, `${prefix}-work`, workdir]);
  if (r.code !== 0) throw new Error(`cannot mount the ${mib} MiB workdir at ${workdir}: ${r.stderr.trim()}`);
}

/** Mount points at or below `dir` on the host, deepest first (mountinfo escapes spaces as \040). */
export function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mnt = line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (mnt && (mnt === dir || mnt.startsWith(`${dir}/`))) out.push(mnt);
  }
  return out.sort((a, b) => b.length - a.length);
}

export async function unmountUnder(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) {
    const r = await run('umount', ['-l', m]);
    if (r.code !== 0 && mountsUnder(m).includes(m)) throw new Error(`cannot unmount ${m}: ${r.stderr.trim()}`);
  }
}

/** For `lab doctor`: which netns lab limits this host enforces, and how to get the missing ones. */
export function limitsReport(): { ok: boolean; detail: string; fix?: string } {
  const places = controllerPlaces();
  const have = places.map((p) => `${p.ctrl} (cgroup v${p.version})`);
  const missing = CONTROLLERS.filter((c) => !places.some((p) => p.ctrl === c));
  const d = DEFAULT_LIMITS;
  const detail =
    `netns labs enforce ${[...have, 'workdir size (tmpfs)'].join(', ')}` +
    `${missing.length ? `; NOT ${missing.join(', ')}` : ''}. Defaults: memory ${d.memoryMiB} MiB, pids ${d.pids}, cpu ${d.cpuPercent}%, workdir ${d.workdirMiB} MiB (lab.yaml limits: overrides)`;
  if (!missing.length) return { ok: true, detail };
  return {
    ok: false,
    detail,
    fix: `mount the v1 controller(s), e.g. mkdir -p /sys/fs/cgroup/${missing[0]} && mount -t cgroup -o ${missing[0]} cgroup /sys/fs/cgroup/${missing[0]}, or enable them in cgroup v2 (cgroup.subtree_control)`,
  };
}

/** What libexec/lab-root.sh and confine.py need to shut a netns lab in, missing on this host. */
export function confinementLacks(): string[] {
  const lacks: string[] = [];
  if (process.arch !== 'x64') lacks.push(`a seccomp filter for ${process.arch} (confine.py knows x86_64 only)`);
  if (!existsSync('/usr/bin/python3')) lacks.push('/usr/bin/python3 (confine.py)');
  if (!/\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'))) lacks.push('overlayfs (the masked /etc)');
  return lacks;
}
