import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { LabError } from '../../errors.ts';
import { which } from '../../host-caps.ts';
import { unregister } from '../../instances.ts';
import { tcgTimeScale } from '../tcg-time.ts';
import { run } from '../../proc.ts';
import type { ExecOptions, InstanceState, LabExecResult, LabInstance, ShellCommand } from '../types.ts';
import { checkRelPath, checkWriteSize, fileError, READ_PROGRAM, WRITE_PROGRAM } from './guest-files.ts';
import { execProgram, GUEST_PID_DIR, killProgram, PIDS_PROGRAM, shellProgram, shq } from './guest-program.ts';
import { SshLink, type GuestLink } from './ssh-link.ts';
import { CONTAINER_PREFIX, dotfileDir, ds, isVagrantProcess, labelledContainers, processAlive, vagrant, type VagrantDriverState } from './vagrant-cli.ts';

/** Where the lab's files live inside the guest: cwd and $LAB_WORKDIR of every command and terminal. */
export const GUEST_WORKDIR = '/srv/lab';

const GUEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function sshLinkOf(state: InstanceState): SshLink {
  const d = ds(state);
  // Our libvirt box logs in as root with the instance's key: no sudo per command.
  return new SshLink({
    configFile: d.sshConfig,
    controlPath: d.controlPath,
    host: d.machine,
    logFile: `${d.hostDir}/ssh-master.log`,
    root: !!d.box?.startsWith('elab-box-'),
  });
}

/**
 * Removes everything of one instance, in an order that cannot resurrect it: an orphaned
 * `vagrant up`, the SSH master, the container (docker: by label, fast, and found even when
 * Vagrant never recorded it), then `vagrant destroy -f` for Vagrant's own records, then the
 * instance dir. Safe to call twice and on a half-made instance; returns what it could not remove.
 */
export async function destroyVagrantInstance(state: InstanceState): Promise<string[]> {
  const d = ds(state) as Partial<VagrantDriverState>;
  const errors: string[] = [];
  if (d.upPid && isVagrantProcess(d.upPid) && !processAlive(d.creatorPid)) {
    try {
      process.kill(-d.upPid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  if (d.controlPath && d.sshConfig && existsSync(d.sshConfig))
    await sshLinkOf(state)
      .close()
      .catch(() => undefined);
  const docker = (d.provider ?? 'docker') === 'docker' && !!which('docker');
  if (docker) {
    const names = (await labelledContainers(state.id)).map((c) => c.name);
    if (names.length) {
      const r = await run('docker', ['rm', '-f', '-v', ...names], { timeoutMs: 60_000 });
      if (r.code !== 0) errors.push(`docker rm -f ${names.join(' ')}: ${r.stderr.trim().slice(-300)}`);
    }
  }
  if (d.hostDir && d.machine && existsSync(dotfileDir(d as VagrantDriverState))) {
    if (!which('vagrant')) {
      if (!docker) errors.push('vagrant is not installed any more, so the VM cannot be destroyed: apt-get install vagrant, then lab reap');
    } else {
      const r = await vagrant(state, ['destroy', '-f', '--machine-readable'], 10 * 60_000);
      // With docker the container is what matters, and it is checked below; a VM is only known to Vagrant.
      if (r.code !== 0 && !docker) errors.push(`vagrant destroy -f: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ').slice(-400)}`);
    }
  }
  if (docker && (await labelledContainers(state.id)).length) errors.push(`container ${CONTAINER_PREFIX}${state.id} is still there`);
  if (errors.length === 0) {
    if (d.hostDir) rmSync(d.hostDir, { recursive: true, force: true });
    if (d.controlPath) rmSync(d.controlPath, { force: true });
    unregister(state.id);
  }
  return errors;
}

export class VagrantInstance implements LabInstance {
  protected readonly link: GuestLink;
  private readonly pidDir: string;

  /** The options are for tests, which run guest programs on the host; a lab talks to its guest over SSH. */
  constructor(
    readonly state: InstanceState,
    o: { link?: GuestLink; pidDir?: string } = {},
  ) {
    this.link = o.link ?? sshLinkOf(state);
    this.pidDir = o.pidDir ?? GUEST_PID_DIR;
  }

  private get d(): VagrantDriverState {
    return ds(this.state);
  }

  protected node(name?: string): string {
    const n = name ?? this.state.nodes[0]!;
    if (!this.state.nodes.includes(n)) throw new LabError(`lab ${this.state.id} has no node "${n}"`, `nodes: ${this.state.nodes.join(', ')}`, 2);
    return n;
  }

  /**
   * How a command reaches member `node`: labd's one connection goes to the first node; in a
   * cluster the guest's lab-on takes it to another VM or into a pod's namespace (cluster.ts).
   */
  protected via(node: string): string {
    return this.d.nodesEnv && node !== this.state.nodes[0] ? `lab-on ${shq(node)} ` : '';
  }

  protected env(node: string, extra?: Record<string, string>): Record<string, string> {
    return {
      PATH: GUEST_PATH,
      HOME: '/root',
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      LAB_ID: this.state.labId,
      LAB_INSTANCE: this.state.id,
      LAB_NODE: node,
      LAB_WORKDIR: this.state.workdir,
      ...extra,
    };
  }

  /**
   * Runs as root in the guest, in the workdir. On a timeout or abort the command's process group
   * is killed in the guest over a second channel, which ends the first; should the guest not
   * answer, the local client is killed a few seconds later. The guest's own `timeout` (5 s
   * after the host's) covers a host that went away meanwhile.
   */
  async exec(cmd: string, opts: ExecOptions = {}): Promise<LabExecResult> {
    const node = this.node(opts.node);
    const token = randomBytes(8).toString('hex');
    const via = this.via(node);
    const program = execProgram({
      cwd: this.state.workdir,
      env: this.env(node, opts.env),
      cmd: via ? `exec ${via}/bin/bash -c ${shq(cmd)}` : cmd,
      token,
      pidDir: this.pidDir,
      timeoutS: opts.timeoutMs ? opts.timeoutMs / 1000 + 5 : 0,
    });
    const local = new AbortController();
    let timedOut = false;
    let lastResort: NodeJS.Timeout | undefined;
    const stop = () => {
      if (timedOut) return;
      timedOut = true;
      this.link.run(killProgram(token, this.pidDir), { signal: AbortSignal.timeout(15_000) }).catch(() => undefined);
      lastResort = setTimeout(() => local.abort(), 5_000);
    };
    const timer = opts.timeoutMs ? setTimeout(stop, opts.timeoutMs) : undefined;
    opts.signal?.addEventListener('abort', stop, { once: true });
    if (opts.signal?.aborted) stop();
    try {
      const r = await this.link.run(program, { stdin: opts.stdin, signal: local.signal });
      return { ...r, timedOut: timedOut || r.timedOut };
    } finally {
      clearTimeout(timer);
      clearTimeout(lastResort);
      opts.signal?.removeEventListener('abort', stop);
    }
  }

  shellCommand(opts: { node?: string }): ShellCommand {
    const node = this.node(opts.node);
    const [file, args] = this.link.ptyArgv(shellProgram(this.state.workdir, this.env(node), this.via(node)));
    return {
      file,
      args,
      cwd: existsSync(this.d.hostDir) ? this.d.hostDir : '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TERM: 'xterm-256color', LANG: 'C.UTF-8' },
    };
  }

  /** The limit of a command this class runs itself (file access, pids); an emulated guest stretches it. */
  protected ownLimit(ms: number): number {
    return ms;
  }

  async readFile(path: string): Promise<Buffer> {
    const rel = checkRelPath(path);
    const r = await this.exec(READ_PROGRAM, { env: { LAB_REL: rel }, timeoutMs: this.ownLimit(30_000) });
    const err = fileError(path, r.code, r.stderr);
    if (err) throw err;
    return Buffer.from(r.stdout.trim(), 'base64');
  }

  async writeFile(path: string, data: Buffer | string): Promise<void> {
    const buf = checkWriteSize(data);
    const rel = checkRelPath(path);
    const r = await this.exec(WRITE_PROGRAM, { env: { LAB_REL: rel }, stdin: buf.toString('base64'), timeoutMs: this.ownLimit(30_000) });
    const err = fileError(path, r.code, r.stderr);
    if (err) throw err;
  }

  /**
   * Every process in the guest, numbered as the guest sees them: checks read
   * /proc/<pid>/fdinfo through exec, inside the guest. For the docker provider that is the
   * container's pid namespace (the kernel is shared, so this is what tells this lab's BPF
   * objects from others'); a VM has a kernel of its own.
   */
  async pids(): Promise<Set<number>> {
    const r = await this.exec(PIDS_PROGRAM, { timeoutMs: this.ownLimit(15_000) });
    if (r.code !== 0) throw new Error(`listing the lab's processes failed (exit ${r.code}): ${r.stderr.trim().slice(-200)}`);
    return new Set(
      r.stdout
        .split('\n')
        .filter((l) => /^\d+$/.test(l))
        .map(Number),
    );
  }

  async alive(): Promise<boolean> {
    // Still being created by a live process: not a leftover, though no machine may exist yet.
    if (this.d.phase === 'creating') return processAlive(this.d.creatorPid);
    if (this.d.provider === 'docker') {
      const r = await run('docker', ['inspect', '--format', '{{.State.Running}}', `${CONTAINER_PREFIX}${this.state.id}`], { timeoutMs: 20_000 });
      return r.code === 0 && r.stdout.trim() === 'true';
    }
    const r = await vagrant(this.state, ['status', this.d.machine, '--machine-readable'], 60_000);
    return /^\d+,[^,]*,state,running$/m.test(r.stdout);
  }

  async down(): Promise<void> {
    const errors = await destroyVagrantInstance(this.state);
    if (errors.length) throw new Error(`lab ${this.state.id} was not fully removed: ${errors.join('; ')} (try again with: lab reap)`);
  }
}

/**
 * A libvirt lab. On TCG every instruction is emulated: steps, checks and the driver's own commands
 * get the vm driver's load-scaled factor (tcg-time.ts); a cluster's three VMs also share the host's
 * cores, and lab-on crosses VMs: twice that. The factor is applied once, where each limit is set
 * (the engine for scripts and steps, ts-check for a check's own exec limits, ownLimit here):
 * scaling exec() as well squared it (a solve.sh limit of 60 s became 64 minutes on a cluster).
 */
export class LibvirtInstance extends VagrantInstance {
  get timeScale(): number {
    const d = ds(this.state);
    return d.libvirtDriver === 'qemu' ? tcgTimeScale() * (d.nodesEnv ? 2 : 1) : 1;
  }

  protected override ownLimit(ms: number): number {
    return ms * this.timeScale;
  }
}

export const vagrantInstance = (state: InstanceState): VagrantInstance =>
  ds(state).provider === 'libvirt' ? new LibvirtInstance(state) : new VagrantInstance(state);
