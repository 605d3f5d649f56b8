import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedLab } from '@ebpf-lab/lab-spec';
import { config, type VmSettings } from '../../config.ts';
import { LabError, missingError, usageError } from '../../errors.ts';
import { which } from '../../host-caps.ts';
import { instanceDir, listStateIds, loadState, loadStateAnywhere, newInstanceId, saveState } from '../../instances.ts';
import { stageLabFiles } from '../stage-files.ts';
import type { CapabilityReport, InstanceState, LabDriver, LabInstance, OnProgress, ReapReport, Support } from '../types.ts';
import { orphanState, reapInstance } from '../reap.ts';
import { planTopology, topologySupport } from '../netns/topology.ts';
import { UNPACK_PROGRAM } from '../vagrant/guest-files.ts';
import { INSTALL_LAB_ON } from './lab-on.ts';
import { bootTimeoutMs, finishBoot, launchVm, newVmState, VM_DEFAULTS } from './boot.ts';
import { hostDiskProblem } from './host-disk.ts';
import { findImage } from './image.ts';
import { BootError, consoleTail, labQemus, QEMU } from './qemu.ts';
import { poolSize, takeFromPool, VmPool } from './pool.ts';
import { destroyVm, vds, VM_WORKDIR, VmInstance, vmLink, type VmDriverState } from './vm-instance.ts';

export class VmDriver implements LabDriver {
  readonly name = 'vm' as const;

  private readonly s: VmSettings;

  /** PATH to look for tools on: tests pass one without QEMU; settings: the Config's unless given. */
  constructor(private readonly o: { path?: string; settings?: VmSettings } = {}) {
    this.s = o.settings ?? config().vm;
  }

  /** Any topology the netns driver can plan: nodes and pods become namespaces inside the one guest. */
  supports(lab: LoadedLab): Support {
    return topologySupport(lab);
  }

  async preflight(): Promise<CapabilityReport> {
    const missing: CapabilityReport['missing'] = [];
    const path = this.o.path ?? config().toolPath;
    if (!which(QEMU, path)) missing.push({ what: `${QEMU} is not installed`, fix: 'apt-get install qemu-system-x86 qemu-utils' });
    else if (!which('qemu-img', path)) missing.push({ what: 'qemu-img is not installed', fix: 'apt-get install qemu-utils' });
    if (!which('ssh', path) || !which('ssh-keygen', path)) missing.push({ what: 'the OpenSSH client is not installed', fix: 'apt-get install openssh-client' });
    try {
      findImage(this.s);
    } catch (e) {
      missing.push({ what: (e as LabError).message, fix: (e as LabError).hint ?? 'sudo scripts/build-vm-image.sh' });
    }
    return { ok: missing.length === 0, missing };
  }

  /** Boots the lab's guest (or takes a ready one from the warm pool), then copies the files in. */
  async up(lab: LoadedLab, onProgress: OnProgress = () => {}, o: { extraCmdline?: string } = {}): Promise<LabInstance> {
    const sup = this.supports(lab);
    if (!sup.ok) throw usageError(`${lab.dir}/lab.yaml: topology: ${sup.why}`, sup.fix);
    const pre = await this.preflight();
    if (!pre.ok)
      throw missingError(`the vm driver cannot run here: ${pre.missing.map((m) => m.what).join('; ')}`, pre.missing.map((m) => `- ${m.fix}`).join('\n'));
    const img = findImage(this.s);
    const spec = { ...VM_DEFAULTS, ...lab.spec.vm };

    const pooled = o.extraCmdline ? null : await takeFromPool(img, spec, lab.spec.id);
    // Warm: booted, SSH master open, exec agent running (pool.ts); only the lab's own part is left.
    const warm = !!pooled && !!vds(pooled).warm;
    if (pooled) delete vds(pooled).warm; // a pool guest's mark: the lab's state does not keep it
    let state: InstanceState;
    if (pooled) {
      state = pooled;
      state.nodes = [lab.spec.topology.nodes[0]!.name];
      vds(state).machine = state.nodes[0]!;
      onProgress({ phase: 'machine', message: `took ${warm ? 'ready' : 'booting'} guest ${vds(state).name} from the warm pool`, fraction: 0.3 });
    } else {
      const id = newInstanceId();
      const d = newVmState(id, instanceDir(id), img, spec, 'creating');
      state = {
        id,
        labId: lab.spec.id,
        driver: 'vm',
        createdAt: new Date().toISOString(),
        workdir: VM_WORKDIR,
        nodes: [lab.spec.topology.nodes[0]!.name],
        driverState: d as unknown as Record<string, unknown>,
      };
      d.machine = state.nodes[0]!;
    }
    const d = vds(state);
    // Saved before anything exists, so a crash from here on leaves something `lab reap` can find.
    saveState(state);
    let phase = 'starting QEMU';
    try {
      if (!pooled) {
        onProgress({ phase: 'machine', message: `starting QEMU (${spec.memoryMiB} MiB, ${spec.cpus} vCPU)`, fraction: 0.05 });
        await launchVm(d, img, { extraCmdline: o.extraCmdline, onStarted: () => saveState(state), settings: this.s });
        phase = `booting the guest kernel (${d.accel})`;
        onProgress({ phase: 'boot', message: `booting the guest kernel on ${d.accel === 'kvm' ? 'KVM' : 'TCG (emulated, slow)'}`, fraction: 0.15 });
      } else phase = 'waiting for the pooled guest to finish booting';
      if (!warm) {
        await finishBoot(d, bootTimeoutMs(d.accel, this.s));
        phase = 'opening the SSH connection';
        onProgress({ phase: 'ssh', message: 'connecting over SSH', fraction: 0.55 });
        await vmLink(state).start(60_000);
      }

      const t = lab.spec.topology;
      if (t.nodes.length > 1 || t.pods.length) {
        phase = 'building the lab network in the guest';
        onProgress({ phase: 'network', message: 'creating the nodes and pods as network namespaces in the guest', fraction: 0.6 });
        const plan = planTopology(state.id, t);
        const built = await new VmInstance(state).exec(`set -e\n${plan.script}`, { timeoutMs: 5 * 60_000 });
        if (built.code !== 0) throw new Error(`building the lab network failed (exit ${built.code}): ${built.stderr.trim().slice(-400)}`);
        state.nodes = plan.members.filter((m) => m.kind !== 'switch').map((m) => m.name);
        d.cluster = true;
        saveState(state);
      }

      phase = 'copying the starter files into the guest';
      onProgress({ phase: 'files', message: `copying starter files to ${VM_WORKDIR}`, fraction: 0.65 });
      const seed = this.stageFiles(lab, join(d.hostDir, 'seed'));
      const inst = new VmInstance(state);
      const tar = execFileSync('tar', ['-C', seed, '-cf', '-', '.'], { maxBuffer: 1 << 30 });
      rmSync(seed, { recursive: true, force: true });
      // A warm pool guest has lab-on already (pool.ts): one program less to start under TCG.
      const unpacked = await inst.exec(warm ? UNPACK_PROGRAM : `${INSTALL_LAB_ON} && ${UNPACK_PROGRAM}`, {
        stdin: tar.toString('base64'),
        timeoutMs: 5 * 60_000,
      });
      if (unpacked.code !== 0) throw new Error(`unpacking in the guest failed (exit ${unpacked.code}): ${unpacked.stderr.trim().slice(-300)}`);
      d.phase = 'ready';
      saveState(state);
      if (!o.extraCmdline) new VmPool().refill(img, poolSize(this.s));
      return inst;
    } catch (e) {
      const cons = e instanceof BootError ? e.console : consoleTail(d.console);
      const errors = await destroyVm(state);
      const after = errors.length
        ? `Removing the half-made guest failed too (${errors.join('; ')}): run lab reap.`
        : 'The half-made guest was removed; nothing of it is left running.';
      if (e instanceof LabError) throw e;
      const fix =
        e instanceof BootError
          ? `the guest kernel or its init failed; its console said:\n${cons}\nIf the image is stale or broken, rebuild it: sudo scripts/build-vm-image.sh --force; a slow host may need a longer ELAB_VM_BOOT_TIMEOUT_S.`
          : `see the guest console:\n${cons}`;
      throw new LabError(`lab up (vm, ${d.accel}) failed while ${phase}: ${(e as Error).message}`, `${fix}\n${after}`);
    }
  }

  private stageFiles(lab: LoadedLab, seed: string): string {
    mkdirSync(seed, { recursive: true });
    stageLabFiles(lab, seed, 2);
    return seed;
  }

  attach(state: InstanceState): LabInstance {
    return new VmInstance(state);
  }

  /**
   * Instances with vm state whose QEMU is gone (or whose maker died mid-boot), pool guests that
   * died, and QEMU processes named el<id> that no state of any state dir claims. With `all`, every
   * guest of this state dir (pool included), but never a live one of another state dir.
   */
  async reap({ all }: { all: boolean }): Promise<ReapReport> {
    const report: ReapReport = { removed: [], kept: [], errors: [] };
    const qemus = labQemus();
    const ids = new Set<string>();
    for (const id of listStateIds()) if (loadState(id)?.driver === 'vm') ids.add(id);
    for (const name of qemus.keys()) ids.add(name.slice(2));
    const pool = new VmPool();
    for (const id of pool.ids()) ids.add(id);
    for (const id of [...ids].sort()) {
      const mine = loadState(id) ?? pool.load(id);
      const state = mine ?? loadStateAnywhere(id);
      if (state && state.driver !== 'vm') continue;
      // `all` means this state dir's guests: another state dir's live lab (a second labd, a test) stays.
      if ((!all || !mine) && state && (await new VmInstance(state).alive())) {
        report.kept.push(id);
        continue;
      }
      const stub = state ?? orphanState(id, 'vm', VM_WORKDIR, { name: `el${id}`, qemuPid: qemus.get(`el${id}`) });
      await reapInstance(report, stub, destroyVm);
    }
    return report;
  }
}

/**
 * At labd start: guests whose QEMU died while labd was away are reaped (live ones stay, and are
 * reattached when asked for), the watch over full host disks starts, and the warm pool
 * (ELAB_VM_POOL) is filled in the background.
 */
export async function vmStartup(log: (line: string) => void): Promise<void> {
  if (!which(QEMU)) return;
  watchHostDisks(log);
  const r = await new VmDriver().reap({ all: false });
  if (r.removed.length) log(`labd: vm: reaped leftovers of ${r.removed.join(', ')}`);
  for (const e of r.errors) log(`labd: vm: reap: ${e}`);
  if (poolSize() === 0) return;
  let img;
  try {
    img = findImage();
  } catch (e) {
    log(`labd: vm: no warm pool: ${(e as Error).message}`);
    return;
  }
  log(`labd: vm: filling the warm pool to ${poolSize()} guest(s)`);
  void new VmPool().refill(img);
}

let watching: (() => void) | null = null;

/**
 * labd's watch over its guests (labs and the warm pool): every few seconds each is asked
 * hostDiskProblem, so a paused guest is logged once and resumed when there is room again, even
 * if nobody looks at it. Returns a stop function.
 */
export function watchHostDisks(log: (line: string) => void, everyMs = 2000): () => void {
  const paused = new Set<string>();
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const pool = new VmPool();
      const states = [...listStateIds().map(loadState), ...pool.ids().map((id) => pool.load(id))].filter(
        (s): s is InstanceState => s?.driver === 'vm' && !!vds(s).qmpSocket,
      );
      for (const s of states) {
        const why = await hostDiskProblem(s.id, vds(s)).catch(() => null);
        if (why && !paused.has(s.id)) {
          paused.add(s.id);
          log(`labd: vm: ${s.id}: ${why}`);
        }
        if (!why && paused.delete(s.id)) log(`labd: vm: ${s.id}: resumed, its host disk has room again`);
      }
    } finally {
      busy = false;
    }
  };
  if (watching) return watching; // one watch per process, however many labds it starts (tests)
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  watching = () => {
    clearInterval(timer);
    watching = null;
  };
  return watching;
}

export type { VmDriverState };
