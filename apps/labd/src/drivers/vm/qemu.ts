import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { missingError } from '../../errors.ts';
import { instanceIdOf } from '../lab-names.ts';

/** Where one guest's files live on the host; every name carries the instance prefix el<id>. */
export interface VmPaths {
  hostDir: string;
  overlay: string;
  pidFile: string;
  console: string;
  /**
   * QEMU's QMP socket: how labd sees a guest paused on a full host disk and resumes it
   * (host-disk.ts). Absent in the state of guests started before it existed.
   */
  qmpSocket?: string;
}

export interface QemuOptions extends VmPaths {
  /** el<id>: QEMU's -name (guest and process), the guest's hostname, how reap finds it. */
  name: string;
  image: { kernel: string; initrd: string };
  accel: 'kvm' | 'tcg';
  memoryMiB: number;
  cpus: number;
  sshPort: number;
  /** OpenSSH public key line authorized for root in the guest. */
  pubkey: string;
  /** Extra kernel command line (tests use it to make a guest that never boots). */
  extraCmdline?: string;
}

export const QEMU = 'qemu-system-x86_64';

/**
 * The QEMU command line of a lab guest: no firmware disks, no display, nothing but a virtio disk
 * (the overlay), a virtio NIC on user-mode networking with `restrict=on` (the guest reaches
 * nothing on the host or beyond; only the SSH port is forwarded, to 127.0.0.1), and the serial
 * console in a file. A write that finds the host disk full pauses the guest (werror=enospc, QEMU's
 * default, spelled out) instead of failing it inside: QMP tells labd, which resumes it once there
 * is room (host-disk.ts). `-daemonize` detaches it from labd, so a labd crash leaves the lab running
 * for the next labd to reattach (or reap); `-no-reboot` makes a guest panic end QEMU.
 */
export function qemuArgs(o: QemuOptions): string[] {
  const cmdline = [
    'console=ttyS0',
    'quiet',
    'panic=-1',
    'root=/dev/vda',
    `elab.name=${o.name}`,
    `elab.key=${Buffer.from(o.pubkey.trim()).toString('base64')}`,
    o.extraCmdline ?? '',
  ]
    .filter(Boolean)
    .join(' ');
  return [
    '-name',
    `guest=${o.name},process=${o.name}`,
    // TCG's translation cache defaults to 1 GiB of host memory per guest; 256 MiB is plenty here.
    '-machine',
    'q35',
    '-accel',
    o.accel === 'tcg' ? 'tcg,tb-size=256' : 'kvm',
    '-cpu',
    o.accel === 'kvm' ? 'host' : 'max',
    '-m',
    String(o.memoryMiB),
    '-smp',
    String(o.cpus),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    o.image.kernel,
    '-initrd',
    o.image.initrd,
    '-append',
    cmdline,
    '-drive',
    `file=${o.overlay},if=virtio,format=qcow2,cache=unsafe,discard=unmap,werror=enospc,rerror=report`,
    '-netdev',
    `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${o.sshPort}-:22`,
    '-device',
    'virtio-net-pci,netdev=n0',
    '-serial',
    `file:${o.console}`,
    ...(o.qmpSocket ? ['-qmp', `unix:${o.qmpSocket},server=on,wait=off`] : []),
    '-pidfile',
    o.pidFile,
    '-daemonize',
  ];
}

/** A free TCP port on 127.0.0.1 (QEMU binds it a moment later; a lost race fails start, which retries). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs a program to its end with output captured (qemu-img, QEMU's daemonizing parent). */
export function runTool(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: e.code === 'ENOENT' ? 127 : 126, out: e.code === 'ENOENT' ? `${cmd}: command not found` : e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 137, out });
    });
  });
}

export const qemuMissing = () =>
  missingError(
    `${QEMU} is not installed, so the vm driver cannot start guests`,
    'apt-get install qemu-system-x86 qemu-utils (or run: sudo scripts/setup.sh --with-tests)',
  );

/** Starts QEMU detached; resolves with its pid once the daemonizing parent has exited. */
export async function startQemu(o: QemuOptions): Promise<number> {
  const r = await runTool(QEMU, qemuArgs(o), 60_000);
  if (r.code === 127) throw qemuMissing();
  if (r.code !== 0) throw new Error(`${QEMU} did not start (exit ${r.code}): ${r.out.trim().slice(-500)}`);
  const pid = Number(readFileSync(o.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${QEMU} started but wrote no pid to ${o.pidFile}`);
  return pid;
}

function cmdlineOf(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return null;
  }
}

/** Is `pid` the QEMU of guest `name` (not a reused pid)? */
export function isQemuOf(pid: number | undefined, name: string): boolean {
  if (!pid) return false;
  const argv = cmdlineOf(pid);
  if (!argv) return false;
  try {
    if (/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
  } catch {
    return false;
  }
  const i = argv.indexOf('-name');
  return i >= 0 && argv[i + 1] === `guest=${name},process=${name}`;
}

/** Every QEMU on this host started by the vm driver: guest name (el<id>) → pid. */
export function labQemus(): Map<string, number> {
  const found = new Map<string, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const argv = cmdlineOf(Number(e));
    if (!argv || !argv[0]?.includes('qemu-system')) continue;
    const i = argv.indexOf('-name');
    const m = i >= 0 ? /^guest=([^,]+),process=\1$/.exec(argv[i + 1] ?? '') : null;
    if (m && instanceIdOf(m[1]!, 'none')) found.set(m[1]!, Number(e));
  }
  return found;
}

/** SIGKILLs a guest's QEMU and waits until it is gone (the overlay is discarded anyway). */
export async function killQemu(pid: number | undefined, name: string): Promise<boolean> {
  const pids = new Set<number>();
  if (pid && isQemuOf(pid, name)) pids.add(pid);
  const byName = labQemus().get(name);
  if (byName) pids.add(byName);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 10_000;
  while ([...pids].some((p) => isQemuOf(p, name))) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * For error messages: the console lines that say what went wrong (a panic, our init's words),
 * which a panic's stack trace would push out of a plain tail, then the last lines.
 */
export function consoleTail(path: string, lines = 8): string {
  if (!existsSync(path)) return '(no console output)';
  // eslint-disable-next-line no-control-regex
  const all = readFileSync(path, 'utf8')
    .replace(/\r/g, '')
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .trim()
    .split('\n')
    .filter(Boolean);
  if (all.length === 0) return '(no console output)';
  const tail = all.slice(-lines);
  const key = all.filter((l) => /Kernel panic|ebpf-lab|Unable to|No working init|not found|error/i.test(l) && !tail.includes(l)).slice(-4);
  return [...key, ...(key.length ? ['…'] : []), ...tail].join('\n');
}

export interface BootResult {
  hostKey: string;
}

/**
 * Waits for the guest's PID 1 to say "ebpf-lab-vm: ready" on the console, and takes the host key
 * it announced. Fails at once when QEMU exits (a guest that powered off or panicked), and at the
 * deadline otherwise; either way the message carries the console's last lines.
 */
export async function waitForBoot(o: { pid: number; name: string; console: string; timeoutMs: number; signal?: AbortSignal }): Promise<BootResult> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const text = existsSync(o.console) ? readFileSync(o.console, 'utf8') : '';
    if (/^ebpf-lab-vm: ready/m.test(text)) {
      const key = /^ebpf-lab-vm: hostkey (ssh-ed25519 [A-Za-z0-9+/=]+)/m.exec(text)?.[1];
      if (!key) throw new BootError('the guest booted but announced no SSH host key', consoleTail(o.console));
      return { hostKey: key };
    }
    if (!isQemuOf(o.pid, o.name)) throw new BootError('the guest stopped while booting (QEMU exited)', consoleTail(o.console));
    if (Date.now() > deadline) throw new BootError(`the guest did not finish booting within ${Math.round(o.timeoutMs / 1000)} s`, consoleTail(o.console));
    if (o.signal?.aborted) throw new BootError('boot cancelled', consoleTail(o.console));
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class BootError extends Error {
  constructor(
    message: string,
    readonly console: string,
  ) {
    super(message);
  }
}
