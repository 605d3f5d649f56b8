import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { VmSpec } from '@ebpf-lab/lab-spec';
import { config, type VmSettings } from '../../config.ts';
import { instanceDir, instancesDir, newInstanceId, registerStateFile } from '../../instances.ts';
import type { InstanceState } from '../types.ts';
import { processAlive } from '../vagrant/vagrant-cli.ts';
import { bootTimeoutMs, finishBoot, launchVm, newVmState } from './boot.ts';
import type { VmImage } from './image.ts';
import { INSTALL_LAB_ON } from './lab-on.ts';
import { isQemuOf } from './qemu.ts';
import { destroyVm, vds, VmInstance, vmLink, vmPaths, VM_WORKDIR, writeSshConfig } from './vm-instance.ts';

export const poolDir = () => join(config().stateDir, 'vm-pool');

/** How many booted, unassigned guests to keep (ELAB_VM_POOL; 0, the default, keeps none). */
export function poolSize(s: VmSettings = config().vm): number {
  return s.pool;
}

/** Pool guests this process is warming (booting, SSH master, agent): a taker here waits for them. */
const warming = new Map<string, Promise<void>>();

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
    try {
      return JSON.parse(readFileSync(join(poolDir(), id, 'state.json'), 'utf8')) as InstanceState;
    } catch {
      return null;
    }
  }

  /** Live pool guests of this image. */
  live(img: VmImage): InstanceState[] {
    return this.ids()
      .map((id) => this.load(id))
      .filter((s): s is InstanceState => {
        if (!s) return false;
        const d = vds(s);
        return d.image === img.dir && isQemuOf(d.qemuPid, d.name);
      });
  }

  /**
   * Starts guests until the pool has poolSize() of this image, and warms live ones nobody warms
   * (their labd died mid-warm). Resolves when they are warm (or failed, logged): labd does not wait.
   */
  refill(img: VmImage, size = poolSize()): Promise<void> {
    const live = this.live(img);
    const work: Promise<void>[] = [];
    for (const s of live) {
      const d = vds(s);
      if (!d.warm && d.qemuPid && !warming.has(s.id) && !processAlive(d.creatorPid)) work.push(this.warm(s));
    }
    for (let i = live.length; i < size; i++) work.push(this.startOne(img));
    return Promise.all(work).then(
      () => undefined,
      (e) => {
        console.error(`vm pool: refill failed: ${(e as Error).message}`);
      },
    );
  }

  private async startOne(img: VmImage): Promise<void> {
    const id = newInstanceId();
    const dir = join(poolDir(), id);
    const d = newVmState(id, dir, img, { memoryMiB: 1024, cpus: 1, diskGiB: 8 }, 'pool');
    const state: InstanceState = {
      id,
      labId: '(warm pool)',
      driver: 'vm',
      createdAt: new Date().toISOString(),
      workdir: VM_WORKDIR,
      nodes: ['lab'],
      driverState: d as unknown as Record<string, unknown>,
    };
    saveIn(dir, state);
    try {
      await launchVm(d, img, { onStarted: () => saveIn(dir, state) });
    } catch (e) {
      await destroyVm(state);
      throw e;
    }
    await this.warm(state);
  }

  /**
   * Makes a booted pool guest ready for a lab but for the lab's own files: the kernel booted, the
   * SSH master open, the exec agent listening behind its forward, lab-on installed (through it). So
   * `up` from the pool is a file copy, not a boot, a login and a python3 start (~1-2 s on TCG).
   * A guest taken meanwhile (by another process) is left to its taker.
   */
  private warm(state: InstanceState): Promise<void> {
    const d = vds(state);
    const dir = d.hostDir;
    const run = async () => {
      d.creatorPid = process.pid;
      try {
        await finishBoot(d, bootTimeoutMs(d.accel));
        await vmLink(state).start(60_000);
        // The first exec starts the agent; lab-on is the same for every lab.
        const r = await new VmInstance(state).exec(INSTALL_LAB_ON, { timeoutMs: 120_000 });
        if (r.code !== 0) throw new Error(`installing lab-on through the guest's exec agent failed (exit ${r.code}): ${r.stderr.trim().slice(-200)}`);
        d.warm = true;
        saveWarm(dir, state);
      } catch (e) {
        if (!existsSync(join(dir, 'state.json'))) return; // taken: its taker finishes it
        await destroyVm(state);
        throw new Error(`pool guest ${state.id} did not get ready: ${(e as Error).message}`);
      }
    };
    const p = run().finally(() => warming.delete(state.id));
    warming.set(state.id, p);
    return p;
  }
}

/** Saves a pool guest's state only where it still is: a guest taken meanwhile is not put back. */
function saveWarm(dir: string, state: InstanceState): void {
  try {
    writeFileSync(join(dir, 'state.json.tmp'), JSON.stringify(state, null, 2));
    renameSync(join(dir, 'state.json.tmp'), join(dir, 'state.json'));
  } catch {
    /* the dir moved into instances/: the taker owns the state now */
  }
}

/**
 * Takes a live pool guest of this image and size for `labId`, moved into instances/<id>; null
 * when none fits. A warm one first; else one this process is warming, once warm; else one that
 * may still be booting (another process warms it): the caller then finishes it as a fresh one.
 */
export async function takeFromPool(img: VmImage, spec: VmSpec, labId: string): Promise<InstanceState | null> {
  const pool = new VmPool();
  const fits = () =>
    pool.live(img).filter((s) => {
      const d = vds(s);
      return d.memoryMiB === spec.memoryMiB && d.cpus === spec.cpus && d.diskGiB === spec.diskGiB;
    });
  const warm = (s: InstanceState) => !!vds(s).warm;
  let taken = fits()
    .filter(warm)
    .map((s) => take(s, labId))
    .find((s) => s);
  if (taken) return taken;
  const mine = fits().filter((s) => warming.has(s.id));
  if (mine.length) {
    await Promise.race(mine.map((s) => warming.get(s.id)!.catch(() => undefined)));
    taken = fits()
      .filter(warm)
      .map((s) => take(s, labId))
      .find((s) => s);
    if (taken) return taken;
  }
  return (
    fits()
      .filter((s) => !warming.has(s.id))
      .map((s) => take(s, labId))
      .find((s) => s) ?? null
  );
}

function take(s: InstanceState, labId: string): InstanceState | null {
  const d = vds(s);
  const to = instanceDir(s.id);
  mkdirSync(instancesDir(), { recursive: true });
  try {
    renameSync(d.hostDir, to);
  } catch {
    return null;
  }
  // QEMU keeps its open overlay and console through the rename, and the SSH master its control
  // socket and the agent's forward (bound sockets move with their dir: the id, and so every
  // name, stays). Sockets in the temp dir (a long state dir) stay where they are.
  const from = d.hostDir;
  const moved = (p: string | undefined) => (p && dirname(p) === from ? join(to, basename(p)) : p);
  Object.assign(d, vmPaths(s.id, to), {
    qmpSocket: moved(d.qmpSocket),
    controlPath: moved(d.controlPath),
    phase: 'creating',
    creatorPid: process.pid,
    machine: 'lab',
  });
  // The ssh config names the key and known hosts by path: a new connection (a master restart) needs the new ones.
  const hostKey = d.sshPort && existsSync(d.knownHosts) ? readFileSync(d.knownHosts, 'utf8').trim().split(' ').slice(1).join(' ') : '';
  if (hostKey) writeSshConfig(d, hostKey);
  return { ...s, labId, createdAt: new Date().toISOString(), nodes: ['lab'], driverState: d as unknown as Record<string, unknown> };
}
