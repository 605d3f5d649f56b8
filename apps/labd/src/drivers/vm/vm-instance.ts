import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unregister } from '../../instances.ts';
import { tcgTimeScale } from '../tcg-time.ts';
import type { ExecOptions, InstanceState, LabExecResult, ShellCommand } from '../types.ts';
import { exportLine, shq } from '../vagrant/guest-program.ts';
import { SshLink } from '../vagrant/ssh-link.ts';
import { processAlive } from '../vagrant/vagrant-cli.ts';
import { VagrantInstance } from '../vagrant/vagrant-instance.ts';
import { isQemuOf, killQemu, type VmPaths } from './qemu.ts';

/** Where the lab's files live inside the guest (the same place as on the vagrant driver). */
export const VM_WORKDIR = '/srv/lab';

export interface VmDriverState extends VmPaths {
  /** el<id>: QEMU's -name, the guest's hostname, the prefix of every file below. */
  name: string;
  phase: 'creating' | 'pool' | 'ready';
  creatorPid: number;
  image: string;
  accel: 'kvm' | 'tcg';
  memoryMiB: number;
  cpus: number;
  diskGiB: number;
  key: string;
  sshConfig: string;
  knownHosts: string;
  controlPath: string;
  sshPort?: number;
  qemuPid?: number;
  machine: string;
  /**
   * Nodes and pods are network namespaces inside the guest, built by the netns driver's
   * planTopology (/run/netns/el<id>-<member>); commands on a member run in its namespace.
   */
  cluster?: boolean;
}

export const vds = (state: InstanceState) => state.driverState as unknown as VmDriverState;

/** A socket path has to fit sockaddr_un (108 bytes) with the suffix ssh adds while creating it. */
export function vmPaths(id: string, hostDir: string): VmPaths & Pick<VmDriverState, 'name' | 'key' | 'sshConfig' | 'knownHosts' | 'controlPath'> {
  const name = `el${id}`;
  const sock = join(hostDir, `${name}.sock`);
  return {
    name, hostDir,
    overlay: join(hostDir, `${name}.qcow2`), pidFile: join(hostDir, `${name}.pid`), console: join(hostDir, `${name}.console`),
    key: join(hostDir, `${name}.key`), sshConfig: join(hostDir, `${name}.ssh-config`), knownHosts: join(hostDir, `${name}.known-hosts`),
    controlPath: sock.length <= 80 ? sock : join(tmpdir(), `${name}.sock`),
  };
}

/** Writes the ssh client config for a booted guest: root, its own key, its announced host key pinned. */
export function writeSshConfig(d: VmDriverState, hostKey: string): void {
  writeFileSync(d.knownHosts, `[127.0.0.1]:${d.sshPort} ${hostKey}\n`, { mode: 0o600 });
  writeFileSync(d.sshConfig, [
    `Host ${d.name}`, '  HostName 127.0.0.1', `  Port ${d.sshPort}`, '  User root', `  IdentityFile ${d.key}`,
    '  IdentitiesOnly yes', '  StrictHostKeyChecking yes', `  UserKnownHostsFile ${d.knownHosts}`, '  LogLevel ERROR', '',
  ].join('\n'), { mode: 0o600 });
}

export function vmLink(state: InstanceState): SshLink {
  const d = vds(state);
  return new SshLink({ configFile: d.sshConfig, controlPath: d.controlPath, host: d.name, logFile: join(d.hostDir, `${d.name}.ssh.log`), root: true });
}

/**
 * Removes everything of one guest: the SSH master, QEMU (found by its pid and by its -name, so a
 * QEMU whose pid was never recorded goes too), the overlay, console, pidfile and keys (all in the
 * instance dir), and the socket. Idempotent; returns what it could not remove.
 */
export async function destroyVm(state: InstanceState): Promise<string[]> {
  const d = vds(state) as Partial<VmDriverState>;
  const errors: string[] = [];
  if (d.sshConfig && d.controlPath && existsSync(d.controlPath) && existsSync(d.sshConfig)) {
    await vmLink(state).close().catch(() => undefined);
  }
  const name = d.name ?? `el${state.id}`;
  if (!(await killQemu(d.qemuPid, name))) errors.push(`QEMU of ${name} (pid ${d.qemuPid}) does not die`);
  if (errors.length === 0) {
    if (d.hostDir) rmSync(d.hostDir, { recursive: true, force: true });
    if (d.controlPath) rmSync(d.controlPath, { force: true });
    unregister(state.id);
  }
  return errors;
}

/**
 * A lab in a QEMU guest. Commands, files and terminals work exactly as on the vagrant driver
 * (one multiplexed SSH connection, programs from guest-program.ts and guest-files.ts), so that
 * class does them; a VM differs in what holds it (a QEMU process) and how it goes away.
 */
export class VmInstance extends VagrantInstance {
  constructor(state: InstanceState) {
    super(state, { link: vmLink(state) });
  }

  /** The guest command that runs `inner` (bash code) on member `node`: in its netns for a cluster lab. */
  private onMember(node: string, inner: string): string {
    if (!vds(this.state).cluster) return inner;
    return `exec nsenter --net=${shq(`/run/netns/el${this.state.id}-${node}`)} -- /bin/bash -c ${shq(inner)}`;
  }

  override exec(cmd: string, opts: ExecOptions = {}): Promise<LabExecResult> {
    return super.exec(this.onMember(this.node(opts.node), cmd), opts);
  }

  override shellCommand(opts: { node?: string }): ShellCommand {
    const node = this.node(opts.node);
    const program = [exportLine(this.env(node)), `mkdir -p -- ${shq(this.state.workdir)} && cd -- ${shq(this.state.workdir)}`, this.onMember(node, 'exec /bin/bash --login')].join('\n');
    const [file, args] = this.link.ptyArgv(program);
    return {
      file, args, cwd: '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TERM: 'xterm-256color', LANG: 'C.UTF-8' },
    };
  }

  /** How much longer than on the host a check or script may take in this guest: see tcgTimeScale. */
  get timeScale(): number { return vds(this.state).accel === 'tcg' ? tcgTimeScale() : 1; }

  protected override ownLimit(ms: number): number { return ms * this.timeScale; }

  override async alive(): Promise<boolean> {
    const d = vds(this.state);
    // Half-made by a process that died (labd killed mid-boot): a leftover, whatever QEMU does.
    // A pool guest whose QEMU is still daemonizing has no pid yet: its maker decides too (another
    // state dir's reap once killed such a QEMU mid-start).
    if (d.phase === 'creating' || (d.phase === 'pool' && !d.qemuPid)) return processAlive(d.creatorPid);
    return isQemuOf(d.qemuPid, d.name);
  }

  override async down(): Promise<void> {
    const errors = await destroyVm(this.state);
    if (errors.length) throw new Error(`lab ${this.state.id} was not fully removed: ${errors.join('; ')} (try again with: lab reap)`);
  }
}
