import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { VmSpec } from '@ebpf-lab/lab-spec';
import { config } from '../../config.ts';
import { instanceDir, instancesDir, newInstanceId, registerStateFile } from '../../instances.ts';
import type { InstanceState } from '../types.ts';
import { launchVm, newVmState } from './boot.ts';
import type { VmImage } from './image.ts';
import { isQemuOf } from './qemu.ts';
import { destroyVm, vds, vmPaths, VM_WORKDIR } from './vm-instance.ts';

export const poolDir = () => join(config().stateDir, 'vm-pool');

/** How many booted, unassigned guests to keep (ELAB_VM_POOL; 0, the default, keeps none). */
export function poolSize(): number {
  const n = Number(process.env.ELAB_VM_POOL ?? 0);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 32) : 0;
}

function saveIn(dir: string, state: InstanceState): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json.tmp'), JSON.stringify(state, null, 2));
  renameSync(join(dir, 'state.json.tmp'), join(dir, 'state.json'));
  // So a `lab reap` of another state dir sees this guest's state and keeps it while it lives.
  registerStateFile(state.id, join(dir, 'state.json'));
}

/**
 * The warm pool: guests booted with the default size and no lab, each in
 * <state>/vm-pool/<id>/ (not among the instances, so `lab list` does not show them). `up` takes
 * one by renaming its dir into instances/ (atomic: two takers cannot get the same guest), so a
 * learner waits for the file copy, not for a kernel. Pool guests are reaped like labs.
 */
export class VmPool {
  ids(): string[] {
    return existsSync(poolDir()) ? readdirSync(poolDir()).filter((n) => /^[a-z0-9]{6}$/.test(n)) : [];
  }

  load(id: string): InstanceState | null {
    try { return JSON.parse(readFileSync(join(poolDir(), id, 'state.json'), 'utf8')) as InstanceState; } catch { return null; }
  }

  /** Live pool guests of this image. */
  live(img: VmImage): InstanceState[] {
    return this.ids().map((id) => this.load(id)).filter((s): s is InstanceState => {
      if (!s) return false;
      const d = vds(s);
      return d.image === img.dir && isQemuOf(d.qemuPid, d.name);
    });
  }

  /** Starts guests until the pool has poolSize() of this image; does not wait for them to boot. */
  refill(img: VmImage, size = poolSize()): Promise<void> {
    const want = size - this.live(img).length;
    const starts: Promise<void>[] = [];
    for (let i = 0; i < want; i++) starts.push(this.startOne(img));
    return Promise.all(starts).then(() => undefined, (e) => { console.error(`vm pool: refill failed: ${(e as Error).message}`); });
  }

  private async startOne(img: VmImage): Promise<void> {
    const id = newInstanceId();
    const dir = join(poolDir(), id);
    const d = newVmState(id, dir, img, { memoryMiB: 1024, cpus: 1, diskGiB: 8 }, 'pool');
    const state: InstanceState = { id, labId: '(warm pool)', driver: 'vm', createdAt: new Date().toISOString(), workdir: VM_WORKDIR, nodes: ['lab'], driverState: d as unknown as Record<string, unknown> };
    saveIn(dir, state);
    try {
      await launchVm(d, img, { onStarted: () => saveIn(dir, state) });
    } catch (e) {
      await destroyVm(state);
      throw e;
    }
  }
}

/**
 * Takes a live pool guest of this image and size for `labId`, moved into instances/<id>; null
 * when none fits. The guest may still be booting: the caller waits for it as for a fresh one.
 */
export function takeFromPool(img: VmImage, spec: VmSpec, labId: string): InstanceState | null {
  const pool = new VmPool();
  for (const s of pool.live(img)) {
    const d = vds(s);
    if (d.memoryMiB !== spec.memoryMiB || d.cpus !== spec.cpus || d.diskGiB !== spec.diskGiB) continue;
    const to = instanceDir(s.id);
    mkdirSync(instancesDir(), { recursive: true });
    try { renameSync(d.hostDir, to); } catch { continue; }
    // QEMU keeps its open overlay and console through the rename; only the recorded paths move.
    // Its QMP socket moved along if it was in the dir, and stays where it is if it was not.
    const qmpSocket = d.qmpSocket && dirname(d.qmpSocket) === d.hostDir ? join(to, basename(d.qmpSocket)) : d.qmpSocket;
    Object.assign(d, vmPaths(s.id, to), { qmpSocket, phase: 'creating', creatorPid: process.pid, machine: 'lab' });
    return { ...s, labId, createdAt: new Date().toISOString(), nodes: ['lab'], driverState: d as unknown as Record<string, unknown> };
  }
  return null;
}
