import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedLab } from '@ebpf-lab/lab-spec';
import { config, type VagrantSettings } from '../../config.ts';
import { LabError, missingError, usageError } from '../../errors.ts';
import { which } from '../../host-caps.ts';
import { instanceDir, listStateIds, loadState, loadStateAnywhere, newInstanceId, saveState } from '../../instances.ts';
import { run } from '../../proc.ts';
import { stageLabFiles } from '../stage-files.ts';
import type { CapabilityReport, InstanceState, LabDriver, LabInstance, OnProgress, ReapReport, Support } from '../types.ts';
import { orphanState, reapInstance } from '../reap.ts';
import { chooseAccel, findImage } from '../vm/image.ts';
import { clusterSetupProgram, isCluster, labNodesEnv, planCluster } from './cluster.ts';
import { UNPACK_PROGRAM } from './guest-files.ts';
import { checkHost, type HostDeps } from './host-check.ts';
import { fixForUpFailure } from './machine-readable.ts';
import { CONTAINER_PREFIX, dhcpRetries, keepConsoles, labelledContainers, vagrant, vagrantUp, type VagrantDriverState } from './vagrant-cli.ts';
import { destroyVagrantInstance, GUEST_WORKDIR, sshLinkOf, VagrantInstance, vagrantInstance } from './vagrant-instance.ts';

const MIN = 60_000;

/** kvm when a probe guest really boots on it (the vm driver's probe, cached per boot), else qemu (TCG). */
async function libvirtDriver(): Promise<'kvm' | 'qemu'> {
  try {
    return (await chooseAccel(findImage())).accel === 'kvm' ? 'kvm' : 'qemu';
  } catch {
    return 'qemu';
  }
}
const ID_RE = /^[a-z0-9]{6}$/;

/** A step of `up` that failed: `phase` is what it was doing, `hint` what the user can do. */
class UpError extends Error {
  constructor(
    readonly phase: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** A socket path has to fit sockaddr_un (108 bytes) with the suffix ssh adds while creating it. */
function controlPathFor(id: string, hostDir: string): string {
  const p = join(hostDir, 'ssh.sock');
  return p.length <= 80 ? p : join(tmpdir(), `elab-${id}.sock`);
}

export class VagrantDriver implements LabDriver {
  readonly name = 'vagrant' as const;

  constructor(private readonly deps: HostDeps = {}) {}

  private get settings(): VagrantSettings {
    return this.deps.settings ?? config().vagrant;
  }

  async preflight(): Promise<CapabilityReport> {
    return (await checkHost(this.deps)).report;
  }

  /** One machine anywhere; a cluster (a VM per node, pods as namespaces in them) on libvirt only. */
  supports(lab: LoadedLab): Support {
    const topo = lab.spec.topology;
    if (!isCluster(topo)) return { ok: true };
    const provider = this.settings.provider;
    if (provider !== 'libvirt') {
      return {
        ok: false,
        why: `the vagrant driver builds clusters (a VM per node) on the libvirt provider only, and this lab has ${topo.nodes.length} node(s) and ${topo.pods.length} pod(s)`,
        fix: 'use ELAB_VAGRANT_PROVIDER=libvirt (scripts/libvirt-host.sh start, scripts/build-vm-image.sh --vagrant-box), or --driver netns / vm',
      };
    }
    try {
      planCluster('xxxxxx', topo);
    } catch (e) {
      return { ok: false, why: (e as Error).message, fix: `fix the topology in ${lab.dir}/lab.yaml` };
    }
    return { ok: true };
  }

  async up(lab: LoadedLab, onProgress: OnProgress = () => {}): Promise<LabInstance> {
    const host = await checkHost(this.deps);
    if (!host.report.ok) {
      throw missingError(
        `the vagrant driver cannot run here (${host.provider} provider): ${host.report.missing.map((m) => m.what).join('; ')}`,
        host.report.missing.map((m) => `- ${m.fix}`).join('\n'),
      );
    }
    const sup = this.supports(lab);
    if (!sup.ok) throw usageError(`${lab.dir}/lab.yaml: topology: ${sup.why}`, sup.fix);
    const topo = lab.spec.topology;
    const id = newInstanceId();
    const hostDir = instanceDir(id);
    mkdirSync(hostDir, { recursive: true });
    const cluster = planCluster(id, topo);
    const ownBox = !!host.box?.startsWith('elab-box-');
    const d: VagrantDriverState = {
      provider: host.provider,
      machine: topo.nodes[0]!.name,
      image: host.image,
      hostDir,
      sshConfig: join(hostDir, 'ssh-config'),
      controlPath: controlPathFor(id, hostDir),
      key: join(hostDir, 'id_ed25519'),
      phase: 'creating',
      creatorPid: process.pid,
      ...(host.provider === 'libvirt'
        ? {
            box: host.box,
            vagrantHome: host.vagrantHome,
            libvirtDriver: await libvirtDriver(),
            // Three TCG guests share the host's cores: small VMs, 1 vCPU each.
            memoryMb: this.settings.memoryMb ?? 640,
          }
        : {}),
      ...(isCluster(topo) ? { nodesEnv: labNodesEnv(cluster) } : {}),
      machines: cluster.nodes.map((n) => n.name),
    };
    const state: InstanceState = {
      id,
      labId: lab.spec.id,
      driver: 'vagrant',
      createdAt: new Date().toISOString(),
      workdir: GUEST_WORKDIR,
      nodes: [d.machine],
      driverState: d as unknown as Record<string, unknown>,
    };
    // Saved before anything exists, so a crash from here on leaves something `lab reap` can find.
    saveState(state);
    const upLog = join(hostDir, 'vagrant-up.log');
    let phase = 'preparing the instance';
    try {
      onProgress({ phase: 'machine', message: `vagrant up (${d.provider} provider)`, fraction: 0.05 });
      // A fresh key per instance: the container authorizes it at start, so Vagrant need not swap keys.
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `ebpf-lab-${id}`, '-f', d.key], { stdio: 'ignore' });
      const seed = this.stageFiles(lab, join(hostDir, 'seed'));

      const up = await vagrantUp(state, {
        onProgress,
        logFile: upLog,
        timeoutMs: (d.provider === 'docker' ? 5 : 30) * MIN,
        onPid: (pid) => {
          d.upPid = pid;
          saveState(state);
        },
        watch: d.provider === 'docker' ? () => this.containerExited(id) : undefined,
      });
      delete d.upPid;
      phase = up.tracker.failedPhase();
      if (up.stopped) {
        throw new UpError(phase, `${up.stopped}${await this.containerLog(id)}`, fixForUpFailure('StateStopped', '', d.provider));
      }
      if (up.code !== 0 || up.timedOut) {
        const said = up.timedOut ? `it did not finish within ${d.provider === 'docker' ? 5 : 30} minutes` : up.tracker.vagrantSaid();
        const logs = up.tracker.errorClass?.endsWith('StateStopped') ? await this.containerLog(id) : '';
        throw new UpError(
          phase,
          `vagrant up: ${said}${logs}`,
          fixForUpFailure(up.tracker.errorClass, up.tracker.errorMessage ?? up.tracker.plain.join('\n'), d.provider),
        );
      }

      phase = 'reading the SSH settings (vagrant ssh-config)';
      onProgress({ phase: 'ssh', message: 'connecting over SSH', fraction: 0.55 });
      const cfg = await vagrant(state, ['ssh-config', d.machine], 2 * MIN);
      if (cfg.code !== 0 || !/^Host /m.test(cfg.stdout))
        throw new UpError(
          phase,
          `vagrant ssh-config: ${(cfg.stderr || cfg.stdout).trim().slice(-400)}`,
          'the machine is up but Vagrant cannot say how to reach it; see the output above',
        );
      writeFileSync(d.sshConfig, cfg.stdout, { mode: 0o600 });
      phase = 'opening the SSH connection';
      await sshLinkOf(state)
        .start()
        .catch((e: Error) => {
          throw new UpError(phase, e.message, `check that sshd runs in the guest: cd vagrant && vagrant ssh (log: ${d.hostDir}/ssh-master.log)`);
        });

      // The driver's own guest work gets the guest's time scale (TCG under load), like a lab's scripts.
      const guestMin = MIN * ((vagrantInstance(state) as LabInstance).timeScale ?? 1);
      if (ownBox) {
        phase = d.nodesEnv ? `building the cluster (${cluster.nodes.length} VMs, ${cluster.pods.length} pods)` : 'installing lab-on';
        onProgress({ phase: 'network', message: phase, fraction: 0.6 });
        const built = await new VagrantInstance(state).exec(clusterSetupProgram(id, cluster, GUEST_WORKDIR, readFileSync(d.key, 'utf8')), {
          timeoutMs: 5 * guestMin,
        });
        if (built.code !== 0)
          throw new UpError(
            phase,
            `exit ${built.code}: ${built.stderr.trim().slice(-400)}`,
            `see the VMs' consoles (kept in ${join(config().stateDir, 'logs')} when up fails)`,
          );
        state.nodes = [...cluster.nodes.map((n) => n.name), ...cluster.pods.map((p) => p.name), ...(cluster.outside ? [cluster.outside.name] : [])];
        saveState(state);
      }

      phase = 'copying the starter files into the guest';
      onProgress({ phase: 'files', message: `copying starter files to ${GUEST_WORKDIR}`, fraction: 0.65 });
      const inst = vagrantInstance(state);
      const tar = execFileSync('tar', ['-C', seed, '-cf', '-', '.'], { maxBuffer: 1 << 30 });
      const unpacked = await inst.exec(UNPACK_PROGRAM, { stdin: tar.toString('base64'), timeoutMs: 5 * guestMin });
      if (unpacked.code !== 0)
        throw new UpError(
          phase,
          `unpacking in the guest failed (exit ${unpacked.code}): ${unpacked.stderr.trim().slice(-300)}`,
          'check free space in the guest',
        );

      d.phase = 'ready';
      saveState(state);
      // Said loudly (scripts/test-vagrant-libvirt.sh counts these lines): the lab is fine, but
      // a guest had to ask libvirt's DHCP again, which used to cost a 5-minute boot timeout.
      for (const r of dhcpRetries(hostDir)) {
        console.error(
          `vagrant: RETRIED lab ${id}: ${r.machine} asked libvirt's DHCP ${r.retries + 1} times (its first lease attempt failed: a starved TCG guest)`,
        );
      }
      return inst;
    } catch (e) {
      const logs = join(config().stateDir, 'logs');
      const kept = join(logs, `vagrant-up-${id}.log`);
      if (existsSync(upLog)) {
        mkdirSync(logs, { recursive: true });
        copyFileSync(upLog, kept);
      }
      // libvirt: the guests' consoles say what a VM that never answered was doing (LAB_CONSOLE_DIR).
      const consoles = keepConsoles(hostDir, logs, id);
      const errors = await destroyVagrantInstance(state);
      const after = errors.length
        ? `Removing the half-made machine failed too (${errors.join('; ')}): run lab reap to clean it up.`
        : 'The half-made machine was removed.';
      const log = (existsSync(kept) ? ` Vagrant's full output: ${kept}` : '') + (consoles.length ? ` VM consoles: ${consoles.join(' ')}` : '');
      if (e instanceof UpError) throw new LabError(`lab up (vagrant, ${d.provider}) failed while ${e.phase}: ${e.message}`, `${e.hint}\n${after}${log}`);
      if (e instanceof LabError) throw e;
      throw new LabError(`lab up (vagrant, ${d.provider}) failed while ${phase}: ${(e as Error).message}`, `${after}${log}`);
    }
  }

  /** The lab's `include` paths from the repository, then its files/, as the guest workdir will hold them. */
  private stageFiles(lab: LoadedLab, seed: string): string {
    mkdirSync(seed, { recursive: true });
    stageLabFiles(lab, seed, 2);
    return seed;
  }

  /**
   * Vagrant checks the container once after starting it; when it dies a moment later, vagrant
   * waits for SSH until its boot timeout (5 minutes). Polling the container ends that at once.
   */
  private async containerExited(id: string): Promise<string | null> {
    const r = await run('docker', ['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', `${CONTAINER_PREFIX}${id}`], { timeoutMs: 10_000 });
    const [status, code] = r.stdout.trim().split(' ');
    if (r.code !== 0 || (status !== 'exited' && status !== 'dead')) return null;
    return `the container stopped (exit code ${code}) right after it started, while vagrant waited for it`;
  }

  private async containerLog(id: string): Promise<string> {
    const r = await run('docker', ['logs', '--tail', '8', `${CONTAINER_PREFIX}${id}`], { timeoutMs: 20_000 });
    const text = `${r.stdout}${r.stderr}`.trim();
    return text ? `\ncontainer log (last lines):\n${text}` : '';
  }

  attach(state: InstanceState): LabInstance {
    return vagrantInstance(state);
  }

  /**
   * Instances with vagrant state, and containers labelled org.ebpf-lab.driver=vagrant, whose
   * machine is gone or not running (every one with `all`). Only labd's own ids (6 characters)
   * count: a container from a hand-run `vagrant up` (instance "default") is the developer's.
   */
  async reap({ all }: { all: boolean }): Promise<ReapReport> {
    const ids = new Set<string>();
    for (const id of listStateIds()) if (loadState(id)?.driver === 'vagrant') ids.add(id);
    if (which('docker')) for (const c of await labelledContainers()) if (ID_RE.test(c.instance)) ids.add(c.instance);
    const report: ReapReport = { removed: [], kept: [], errors: [] };
    for (const id of [...ids].sort()) {
      const state = loadStateAnywhere(id);
      if (state && state.driver !== 'vagrant') continue;
      if (!all && state && (await new VagrantInstance(state).alive())) {
        report.kept.push(id);
        continue;
      }
      // A container whose state is gone was made by the docker provider; destroy finds it by label.
      const stub = state ?? orphanState(id, 'vagrant', GUEST_WORKDIR, { provider: 'docker' });
      await reapInstance(report, stub, destroyVagrantInstance);
    }
    return report;
  }
}
