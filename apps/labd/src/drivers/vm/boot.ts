import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { config, type VmSettings } from '../../config.ts';
import { LabError } from '../../errors.ts';
import type { VmSpec } from '@ebpf-lab/lab-spec';
import { freeMiB } from './host-disk.ts';
import { chooseAccel, type VmImage } from './image.ts';
import { BootError, freePort, runTool, startQemu, waitForBoot } from './qemu.ts';
import { vmPaths, writeSshConfig, type VmDriverState } from './vm-instance.ts';

export const VM_DEFAULTS: VmSpec = { memoryMiB: 1024, cpus: 1, diskGiB: 8 };

/** How long a guest may take to boot: TCG on a loaded 2-core host is slow (~30 s seen at load 18). */
export function bootTimeoutMs(accel: 'kvm' | 'tcg', s: VmSettings = config().vm): number {
  if (s.bootTimeoutS) return s.bootTimeoutS * 1000;
  return (accel === 'kvm' ? 60 : 240) * 1000;
}

/** The driver state of a guest about to be made in `hostDir` (nothing exists yet). */
export function newVmState(id: string, hostDir: string, img: VmImage, spec: VmSpec, phase: VmDriverState['phase']): VmDriverState {
  return {
    ...vmPaths(id, hostDir),
    phase,
    creatorPid: process.pid,
    image: img.dir,
    accel: 'tcg',
    memoryMiB: spec.memoryMiB,
    cpus: spec.cpus,
    diskGiB: spec.diskGiB,
    machine: 'lab',
  };
}

/**
 * A guest's overlay grows on the host as the guest writes, and QEMU pauses a guest whose host
 * disk is full (every command in it then hangs). So a guest is not started on a filesystem
 * without room: the refusal names the directory, what is free, and what to do.
 */
export function checkHostSpace(dir: string, needMiB = config().vm.minFreeMiB): void {
  const free = freeMiB(dir);
  if (free >= needMiB) return;
  throw new LabError(
    `not enough disk space for a vm lab: ${dir} has ${free} MiB free, a guest needs at least ${needMiB} MiB there (its disk grows on the host as it writes)`,
    'free space on that filesystem (lab reap removes what crashed labs left), or point ELAB_STATE_DIR (labd --state-dir) at a larger disk; ELAB_VM_MIN_FREE_MIB sets the minimum. No lab was started.',
    3,
  );
}

/**
 * Makes the overlay and key and starts QEMU (detached); `onStarted` runs as soon as the pid is
 * known so the caller can persist it before waiting. Retries when the SSH port was taken in
 * between choosing and binding it. Does not wait for the boot: see finishBoot.
 */
export async function launchVm(
  d: VmDriverState,
  img: VmImage,
  o: { extraCmdline?: string; onStarted?: () => void; settings?: VmSettings } = {},
): Promise<void> {
  const s = o.settings ?? config().vm;
  mkdirSync(d.hostDir, { recursive: true });
  checkHostSpace(d.hostDir, s.minFreeMiB);
  const made = await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', img.base, '-F', 'qcow2', d.overlay, `${d.diskGiB}G`], 60_000);
  if (made.code === 127) throw new Error('qemu-img not found: apt-get install qemu-utils');
  if (made.code !== 0) throw new Error(`qemu-img create (the instance's copy-on-write disk) failed: ${made.out.trim().slice(-300)}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', d.name, '-f', d.key], { stdio: 'ignore' });
  const pubkey = readFileSync(`${d.key}.pub`, 'utf8');
  d.accel = (await chooseAccel(img, { settings: s })).accel;
  for (let attempt = 1; ; attempt++) {
    d.sshPort = await freePort();
    try {
      d.qemuPid = await startQemu({
        name: d.name,
        hostDir: d.hostDir,
        overlay: d.overlay,
        pidFile: d.pidFile,
        console: d.console,
        qmpSocket: d.qmpSocket,
        image: img,
        accel: d.accel,
        memoryMiB: d.memoryMiB,
        cpus: d.cpus,
        sshPort: d.sshPort,
        pubkey,
        extraCmdline: o.extraCmdline,
      });
      break;
    } catch (e) {
      if (attempt >= 3 || !/host forwarding|Address already in use/i.test((e as Error).message)) throw e;
    }
  }
  o.onStarted?.();
}

/** Waits for the guest to announce sshd, then pins its host key in the ssh config. */
export async function finishBoot(d: VmDriverState, timeoutMs = bootTimeoutMs(d.accel)): Promise<void> {
  const boot = await waitForBoot({ pid: d.qemuPid!, name: d.name, console: d.console, timeoutMs });
  writeSshConfig(d, boot.hostKey);
}

export { BootError };
