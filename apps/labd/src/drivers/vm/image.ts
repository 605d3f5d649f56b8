import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { config, type VmSettings } from '../../config.ts';
import { missingError } from '../../errors.ts';
import { isQemuOf, killQemu, QEMU, runTool } from './qemu.ts';

export interface VmImage {
  dir: string;
  base: string;
  kernel: string;
  initrd: string;
  kernelVersion: string;
}

/**
 * The last answer of build-vm-image.sh --print-dir (it hashes the build inputs: 30-100 ms of bash
 * on a loaded host, twice per `up`, a third of the time of an up from the warm pool). Reused for
 * a few seconds only, so an image rebuilt from changed inputs is seen by the next lab.
 */
let printed: { script: string; dir: string; at: number } | null = null;
const PRINTED_FOR_MS = 10_000;

/**
 * The guest image the current inputs give (scripts/build-vm-image.sh --print-dir), or the one
 * ELAB_VM_IMAGE_DIR names. Throws, naming the build command, when it is not built.
 */
export function findImage(s: VmSettings = config().vm): VmImage {
  let dir = s.imageDir;
  const script = join(config().repoRoot, 'scripts/build-vm-image.sh');
  if (!dir && printed?.script === script && performance.now() - printed.at < PRINTED_FOR_MS) dir = printed.dir;
  if (!dir) {
    try {
      dir = execFileSync(script, ['--print-dir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
    } catch (e) {
      throw missingError(
        `cannot tell which VM image to use: ${script} --print-dir failed (${(e as Error).message.split('\n')[0]})`,
        'check that the repository is complete',
      );
    }
    printed = { script, dir, at: performance.now() };
  }
  const img: VmImage = {
    dir,
    base: join(dir, 'base.qcow2'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    kernelVersion: existsSync(join(dir, 'kernel-version')) ? readFileSync(join(dir, 'kernel-version'), 'utf8').trim() : '?',
  };
  if (!existsSync(join(dir, 'ready')) || ![img.base, img.kernel, img.initrd].every((f) => existsSync(f))) {
    throw missingError(
      `the VM image is not built (expected it in ${dir})`,
      'build it once (about 3-5 minutes, cached afterwards): sudo scripts/build-vm-image.sh',
    );
  }
  return img;
}

/** `lab doctor`'s line for the vm driver: can it run, and on KVM or TCG, and why. */
export async function vmDoctorItem(fresh: boolean): Promise<{ name: 'vm'; ok: boolean; detail: string; fix?: string }> {
  const pre = await new (await import('./vm-driver.ts')).VmDriver().preflight();
  if (!pre.ok)
    return {
      name: 'vm',
      ok: false,
      detail: `the vm driver cannot run: ${pre.missing.map((m) => m.what).join('; ')}`,
      fix: pre.missing.map((m) => m.fix).join('; '),
    };
  const img = findImage();
  const a = await chooseAccel(img, { fresh });
  return { name: 'vm', ok: true, detail: `guests boot ${img.kernelVersion} on ${a.accel === 'kvm' ? 'KVM' : 'TCG'}: ${a.why}` };
}

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  why: string;
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * KVM is used only when a guest really boots on it: here /dev/kvm opens, yet guests hang (broken
 * nested virtualisation). So a probe guest (the image's kernel and initramfs, no disk) must reach
 * its init within a few seconds. The answer holds until the host reboots, so it is cached per
 * boot id. ELAB_VM_ACCEL=kvm|tcg overrides the probe.
 */
export async function chooseAccel(img: VmImage, o: { fresh?: boolean; timeoutMs?: number; settings?: VmSettings } = {}): Promise<AccelChoice> {
  const forced = (o.settings ?? config().vm).accel;
  if (forced) return { accel: forced, why: `ELAB_VM_ACCEL=${forced}` };
  const cache = join(config().stateDir, 'vm-accel.json');
  if (!o.fresh && existsSync(cache)) {
    try {
      const c = JSON.parse(readFileSync(cache, 'utf8')) as AccelChoice & { boot: string };
      if (c.boot === bootId()) return { accel: c.accel, why: c.why };
    } catch {
      /* probe again */
    }
  }
  const choice = await probeKvm(img, o.timeoutMs ?? 15_000);
  mkdirSync(config().stateDir, { recursive: true });
  writeFileSync(cache, JSON.stringify({ ...choice, boot: bootId() }));
  return choice;
}

async function probeKvm(img: VmImage, timeoutMs: number): Promise<AccelChoice> {
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
  } catch (e) {
    return { accel: 'tcg', why: `/dev/kvm cannot be opened (${(e as NodeJS.ErrnoException).code}): guests run on TCG, emulated and much slower` };
  }
  const dir = join(config().stateDir, 'vm-probe');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Not of the el<id> form: no `lab reap` takes the probe for a lab's leftover.
  const name = 'el-kvm-probe';
  const consoleFile = join(dir, 'console.log');
  const pidFile = join(dir, 'qemu.pid');
  const r = await runTool(
    QEMU,
    [
      '-name',
      `guest=${name},process=${name}`,
      '-machine',
      'q35',
      '-accel',
      'kvm',
      '-cpu',
      'host',
      '-m',
      '256',
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-no-reboot',
      '-kernel',
      img.kernel,
      '-initrd',
      img.initrd,
      '-append',
      'console=ttyS0 panic=-1 loglevel=7',
      '-serial',
      `file:${consoleFile}`,
      '-pidfile',
      pidFile,
      '-daemonize',
    ],
    30_000,
  );
  if (r.code !== 0) return { accel: 'tcg', why: `a KVM guest does not start here (${r.out.trim().split('\n').pop()?.slice(0, 200)}): guests run on TCG` };
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const started = Date.now();
  let ok = false;
  while (Date.now() - started < timeoutMs) {
    const text = existsSync(consoleFile) ? readFileSync(consoleFile, 'utf8') : '';
    if (/Run \/init as init process/.test(text)) {
      ok = true;
      break;
    }
    if (!isQemuOf(pid, name)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  await killQemu(pid, name);
  rmSync(dir, { recursive: true, force: true });
  return ok
    ? { accel: 'kvm', why: `a KVM probe guest reached its init in ${((Date.now() - started) / 1000).toFixed(1)} s` }
    : {
        accel: 'tcg',
        why: `/dev/kvm opens, but a KVM probe guest did not reach its init within ${timeoutMs / 1000} s (nested virtualisation broken?): guests run on TCG, emulated and much slower`,
      };
}
