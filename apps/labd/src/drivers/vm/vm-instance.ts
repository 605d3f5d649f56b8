import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { config } from '../../config.ts';
import { unregister } from '../../instances.ts';
import { tcgTimeScale } from '../tcg-time.ts';
import type { ExecOptions, InstanceState, LabExecResult, ShellCommand } from '../types.ts';
import { exportLine, GUEST_PID_DIR, shq } from '../vagrant/guest-program.ts';
import { SshLink } from '../vagrant/ssh-link.ts';
import { processAlive } from '../vagrant/vagrant-cli.ts';
import { VagrantInstance } from '../vagrant/vagrant-instance.ts';
import { agentExec, AgentUnavailable, type AgentTransport } from './agent-client.ts';
import { AGENT_VERSION, agentSocket, agentStartProgram } from './guest-agent.ts';
import { hostDiskProblem } from './host-disk.ts';
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
  /** A pool guest made ready for a lab (pool.ts warm): booted, SSH master open, exec agent running. */
  warm?: boolean;
}

export const vds = (state: InstanceState) => state.driverState as unknown as VmDriverState;

const SOCK_DIR_PREFIX = 'elab-sock-';

/**
 * elab-sock-<name>-<uid> in the temp dir, 0700 and labd's. The same one on every call (the warm
 * pool computes a taken guest's paths again, and its sockets stay), made if missing. One that
 * exists but is not a plain dir of labd's user with mode 0700 was made by someone else (the temp
 * dir is shared and the name guessable): then a fresh mkdtemp dir, which no one can have made.
 */
export function privateSocketDir(name: string, uid = process.getuid?.() ?? -1): string {
  const dir = join(tmpdir(), `${SOCK_DIR_PREFIX}${name}-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = lstatSync(dir);
  if (st.isDirectory() && st.uid === uid && (st.mode & 0o777) === 0o700) return dir;
  return mkdtempSync(join(tmpdir(), `${SOCK_DIR_PREFIX}${name}-`));
}

/**
 * A socket path has to fit sockaddr_un (108 bytes), the control socket with the suffix ssh adds
 * while creating it, the exec socket (execSocket) with its agent version: a long state dir puts
 * them in a directory of their own in the temp dir. Never in the temp dir itself: another local
 * user could make a socket at the (guessable) path first, and labd would send every command and
 * its environment there (privateSocketDir). The dir is in the state (dirname of controlPath and
 * qmpSocket), and destroyVm removes it.
 */
export function vmPaths(id: string, hostDir: string): VmPaths & Pick<VmDriverState, 'name' | 'key' | 'sshConfig' | 'knownHosts' | 'controlPath'> {
  const name = `el${id}`;
  const sock = join(hostDir, `${name}.sock`);
  const sockDir = sock.length <= 80 ? hostDir : privateSocketDir(name);
  return {
    name,
    hostDir,
    overlay: join(hostDir, `${name}.qcow2`),
    pidFile: join(hostDir, `${name}.pid`),
    console: join(hostDir, `${name}.console`),
    key: join(hostDir, `${name}.key`),
    sshConfig: join(hostDir, `${name}.ssh-config`),
    knownHosts: join(hostDir, `${name}.known-hosts`),
    controlPath: join(sockDir, `${name}.sock`),
    qmpSocket: join(sockDir, `${name}.qmp`),
  };
}

/** The host end of the SSH master's forward to the guest's exec agent (one per agent version). */
export const execSocket = (d: Pick<VmDriverState, 'controlPath' | 'name'>) => join(dirname(d.controlPath), `${d.name}-${AGENT_VERSION}.exec`);

/**
 * Removes a guest's sockets outside its instance dir: the private dirs vmPaths made (the control
 * socket's, and the QMP socket's if that differs: a pool guest handed to a lab keeps its QEMU's),
 * and the sockets an older labd put straight into the temp dir.
 */
export function removeSocketsOutside(d: Partial<VmDriverState>): void {
  if (!d.name || !d.hostDir) return;
  for (const p of [d.controlPath, d.qmpSocket]) {
    if (!p || dirname(p) === d.hostDir) continue;
    const dir = dirname(p);
    if (basename(dir).startsWith(`${SOCK_DIR_PREFIX}${d.name}-`)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (n === `${d.name}.sock` || n === `${d.name}.qmp` || (n.startsWith(`${d.name}-`) && n.endsWith('.exec'))) rmSync(join(dir, n), { force: true });
    }
  }
}

/** Writes the ssh client config for a booted guest: root, its own key, its announced host key pinned. */
export function writeSshConfig(d: VmDriverState, hostKey: string): void {
  writeFileSync(d.knownHosts, `[127.0.0.1]:${d.sshPort} ${hostKey}\n`, { mode: 0o600 });
  writeFileSync(
    d.sshConfig,
    [
      `Host ${d.name}`,
      '  HostName 127.0.0.1',
      `  Port ${d.sshPort}`,
      '  User root',
      `  IdentityFile ${d.key}`,
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking yes',
      `  UserKnownHostsFile ${d.knownHosts}`,
      '  LogLevel ERROR',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}

export function vmLink(state: InstanceState): SshLink {
  const d = vds(state);
  // A guest paused on a full host disk (host-disk.ts) answers no keepalive until it is resumed:
  // the master waits 15 minutes for it rather than dropping the learner's terminals. QEMU's
  // death is seen by alive(), not by the master.
  return new SshLink({
    configFile: d.sshConfig,
    controlPath: d.controlPath,
    host: d.name,
    logFile: join(d.hostDir, `${d.name}.ssh.log`),
    root: true,
    aliveMaxS: 900,
  });
}

/**
 * Removes everything of one guest: the SSH master, QEMU (found by its pid and by its -name, so a
 * QEMU whose pid was never recorded goes too), the overlay, console, pidfile and keys (all in the
 * instance dir), and the sockets (control, exec forward, QMP). Idempotent; returns what it could not remove.
 */
export async function destroyVm(state: InstanceState): Promise<string[]> {
  const d = vds(state) as Partial<VmDriverState>;
  const errors: string[] = [];
  if (d.sshConfig && d.controlPath && existsSync(d.controlPath) && existsSync(d.sshConfig)) {
    await vmLink(state)
      .close()
      .catch(() => undefined);
  }
  const name = d.name ?? `el${state.id}`;
  if (!(await killQemu(d.qemuPid, name))) errors.push(`QEMU of ${name} (pid ${d.qemuPid}) does not die`);
  if (errors.length === 0) {
    removeSocketsOutside(d);
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
let execMode: 'agent' | 'ssh' | undefined;
/** ELAB_VM_EXEC=ssh: an SSH session per exec, as before the agent (scripts/bench-vm.ts's anchor). */
const sshPerExec = () => (execMode ?? config().vm.exec) === 'ssh';

/** Sets how execs reach guests in this process whatever the Config says (bench-vm.ts and a test switch both ways). */
export function setVmExecMode(mode: 'agent' | 'ssh' | undefined): void {
  execMode = mode;
}
/** Guests that cannot run the agent (no python3 in a custom image): an SSH session per exec. */
const withoutAgent = new Set<string>();

export class VmInstance extends VagrantInstance {
  private readonly ssh: SshLink;

  constructor(state: InstanceState) {
    const link = vmLink(state);
    super(state, { link });
    this.ssh = link;
  }

  /** The guest's exec agent (guest-agent.ts) through a unix-socket forward of the SSH master. */
  private agent(): AgentTransport {
    const sock = execSocket(vds(this.state));
    return {
      socketPath: sock,
      reconnect: async () => {
        rmSync(sock, { force: true });
        await this.ssh.forward(sock, agentSocket(GUEST_PID_DIR));
      },
      startAgent: async () => {
        const r = await this.ssh.run(agentStartProgram(GUEST_PID_DIR), { signal: AbortSignal.timeout(this.ownLimit(60_000)) });
        if (r.code === 127) throw new AgentUnavailable(r.stderr.trim() || 'python3 is not installed in the lab machine');
        if (r.code !== 0)
          throw new Error(
            `starting the lab machine's command runner failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr.trim().slice(-300)}`,
          );
      },
    };
  }

  /** The guest command that runs `inner` (bash code) on member `node`: in its netns for a cluster lab. */
  private onMember(node: string, inner: string): string {
    if (!vds(this.state).cluster) return inner;
    return `exec nsenter --net=${shq(`/run/netns/el${this.state.id}-${node}`)} -- /bin/bash -c ${shq(inner)}`;
  }

  /**
   * Through the guest's exec agent: a forwarded channel and one fork+exec in the guest (see
   * guest-agent.ts for what it keeps of the SSH path: timeouts kill the group, output limits,
   * stdin, exit codes, concurrency). The SSH path stays for ELAB_VM_EXEC=ssh and guests without python3.
   */
  override async exec(cmd: string, opts: ExecOptions = {}): Promise<LabExecResult> {
    const node = this.node(opts.node);
    const inner = this.onMember(node, cmd);
    if (sshPerExec() || withoutAgent.has(this.state.id)) return super.exec(inner, opts);
    try {
      // What a root login's session had besides the lab's environment (sshd set these).
      const env = { USER: 'root', LOGNAME: 'root', SHELL: '/bin/bash', ...this.env(node, opts.env) };
      return await agentExec(this.agent(), { cmd: inner, cwd: this.state.workdir, env, stdin: opts.stdin, timeoutMs: opts.timeoutMs, signal: opts.signal });
    } catch (e) {
      if (!(e instanceof AgentUnavailable)) throw e;
      withoutAgent.add(this.state.id);
      console.error(`vm: lab ${this.state.id}: ${e.message}; its commands each open an SSH session instead (slower)`);
      return super.exec(inner, opts);
    }
  }

  /**
   * A guest paused because its host disk is full: the message names the directory and how much to
   * free there (and resumes the guest when that is done: see hostDiskProblem). Null otherwise.
   */
  async problem(): Promise<string | null> {
    try {
      return await hostDiskProblem(this.state.id, vds(this.state));
    } catch {
      return null;
    }
  }

  override shellCommand(opts: { node?: string }): ShellCommand {
    const node = this.node(opts.node);
    const program = [
      exportLine(this.env(node)),
      `mkdir -p -- ${shq(this.state.workdir)} && cd -- ${shq(this.state.workdir)}`,
      this.onMember(node, 'exec /bin/bash --login'),
    ].join('\n');
    const [file, args] = this.link.ptyArgv(program);
    return {
      file,
      args,
      cwd: '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TERM: 'xterm-256color', LANG: 'C.UTF-8' },
    };
  }

  /** How much longer than on the host a check or script may take in this guest: see tcgTimeScale. */
  get timeScale(): number {
    return vds(this.state).accel === 'tcg' ? tcgTimeScale() : 1;
  }

  // Whole milliseconds: AbortSignal.timeout refuses 521999.99999 (60 s at a scale of 8.7).
  protected override ownLimit(ms: number): number {
    return Math.round(ms * this.timeScale);
  }

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
