import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { config } from '../../config.ts';
import { LabError } from '../../errors.ts';
import { which } from '../../host-caps.ts';
import { unregister } from '../../instances.ts';
import { run } from '../../proc.ts';
import { readConfined, writeConfined } from '../../workdir.ts';
import type { ExecOptions, InstanceState, LabExecResult, LabInstance, ShellCommand } from '../types.ts';
import { dockerExecArgs, kindDeleteArgs, pidsOfContainers, resolveTarget, type Target } from './commands.ts';
import { kubeConfigFrom, podExec } from './kube.ts';
import { processAlive } from '../../proc-stat.ts';

export interface KindDriverState {
  cluster: string;
  kubeconfig: string;
  /** Node container names, control plane first. */
  containers: string[];
  /** The lab's source folder (solve scripts read reference manifests from it). */
  labDir: string;
  phase: 'creating' | 'ready';
  creatorPid: number;
}

const KIND_LABEL = 'io.x-k8s.kind.cluster';

export { processAlive };

/** Node containers of a cluster, by docker label: works even where the kind binary is gone. */
export async function clusterContainers(cluster: string, runningOnly = false): Promise<string[]> {
  const r = await run('docker', ['ps', ...(runningOnly ? [] : ['-a']), '--filter', `label=${KIND_LABEL}=${cluster}`, '--format', '{{.Names}}'], {
    timeoutMs: 20_000,
  });
  return r.code === 0
    ? r.stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

/** Deletes a cluster with kind, or with docker when kind is not installed any more. Idempotent. */
export async function deleteCluster(cluster: string): Promise<string[]> {
  const errors: string[] = [];
  if (which('kind')) {
    const r = await run('kind', kindDeleteArgs(cluster), { timeoutMs: 180_000 });
    if (r.code !== 0) errors.push(`kind delete cluster --name ${cluster}: ${(r.stderr || r.stdout).trim().slice(-300)}`);
  }
  const left = await clusterContainers(cluster);
  if (left.length) {
    const r = await run('docker', ['rm', '-f', '-v', ...left], { timeoutMs: 120_000 });
    if (r.code !== 0) errors.push(`docker rm -f ${left.join(' ')}: ${r.stderr.trim()}`);
  }
  return errors;
}

/** Removes the cluster, then the state dir and workdir. Safe to call twice. */
export async function destroyKindInstance(state: InstanceState): Promise<string[]> {
  const ds = state.driverState as unknown as KindDriverState;
  const errors = await deleteCluster(ds.cluster ?? `el${state.id}`);
  if (errors.length === 0) {
    rmSync(dirname(state.workdir), { recursive: true, force: true });
    unregister(state.id);
  }
  return errors;
}

export class KindInstance implements LabInstance {
  constructor(readonly state: InstanceState) {}

  get ds(): KindDriverState {
    return this.state.driverState as unknown as KindDriverState;
  }

  private target(node?: string): Target {
    const t = resolveTarget(node, this.ds.cluster, this.state.nodes);
    if ('error' in t) throw new LabError(`lab ${this.state.id}: ${t.error}`, undefined, 2);
    return t;
  }

  /**
   * The `host` side: the learner's workstation with kubectl and helm pointed at this cluster. The
   * kind driver needs docker, which is root-equivalent anyway, so this is no new privilege.
   */
  hostEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: this.state.workdir,
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      KUBECONFIG: this.ds.kubeconfig,
      KIND_CLUSTER: this.ds.cluster,
      HELM_CACHE_HOME: join(config().stateDir, 'cache', 'helm'),
      LAB_ID: this.state.labId,
      LAB_INSTANCE: this.state.id,
      LAB_NODE: 'host',
      LAB_WORKDIR: this.state.workdir,
      LAB_SOURCE: this.ds.labDir,
      ...extra,
    };
  }

  async exec(cmd: string, opts: ExecOptions = {}): Promise<LabExecResult> {
    const t = this.target(opts.node);
    if (t.kind === 'host') {
      return run('/bin/bash', ['-c', cmd], {
        cwd: this.state.workdir,
        env: this.hostEnv(opts.env),
        timeoutMs: opts.timeoutMs,
        stdin: opts.stdin,
        signal: opts.signal,
      });
    }
    if (t.kind === 'node') {
      return run('docker', dockerExecArgs(t.container, cmd, { env: opts.env }), { timeoutMs: opts.timeoutMs, stdin: opts.stdin, signal: opts.signal });
    }
    return podExec(kubeConfigFrom(this.ds.kubeconfig), t, cmd, { timeoutMs: opts.timeoutMs, stdin: opts.stdin, signal: opts.signal });
  }

  shellCommand(opts: { node?: string }): ShellCommand {
    const t = this.target(opts.node);
    const o = { cwd: this.state.workdir, env: this.hostEnv() as Record<string, string> };
    if (t.kind === 'host') return { file: '/bin/bash', args: ['-i'], ...o };
    if (t.kind === 'node') return { file: 'docker', args: ['exec', '-it', '-w', '/', t.container, 'bash'], ...o };
    return {
      file: 'kubectl',
      ...o,
      args: [
        '--kubeconfig',
        this.ds.kubeconfig,
        'exec',
        '-it',
        '-n',
        t.namespace,
        t.pod,
        ...(t.container ? ['-c', t.container] : []),
        '--',
        'sh',
        '-c',
        'command -v bash >/dev/null && exec bash || exec sh',
      ],
    };
  }

  readFile(path: string): Promise<Buffer> {
    return readConfined(this.state.workdir, path);
  }
  writeFile(path: string, data: Buffer | string): Promise<void> {
    return writeConfined(this.state.workdir, path, data);
  }

  /**
   * Every host process inside the node containers (kubelet, containerd, cilium-agent…). They
   * share this kernel, so these pids are how a check tells this cluster's BPF programs from the
   * host's or another lab's. Empty while the cluster does not exist.
   */
  async pids(): Promise<Set<number>> {
    if (this.ds.containers.length === 0) return new Set();
    const r = await run('docker', ['inspect', '--format', '{{.Id}}', ...this.ds.containers], { timeoutMs: 20_000 });
    const ids = r.stdout
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => /^[0-9a-f]{64}$/.test(s));
    const cgroups: [number, string][] = [];
    for (const n of readdirSync('/proc')) {
      if (!/^\d+$/.test(n)) continue;
      try {
        cgroups.push([Number(n), readFileSync(`/proc/${n}/cgroup`, 'utf8')]);
      } catch {
        /* exited */
      }
    }
    return pidsOfContainers(cgroups, ids);
  }

  async alive(): Promise<boolean> {
    // Still being created by a live process: not a leftover, though its nodes may not exist yet.
    if (this.ds.phase === 'creating') return processAlive(this.ds.creatorPid);
    const running = await clusterContainers(this.ds.cluster, true);
    return this.ds.containers.length > 0 && this.ds.containers.every((c) => running.includes(c));
  }

  async down(): Promise<void> {
    const errors = await destroyKindInstance(this.state);
    if (errors.length) throw new Error(`lab ${this.state.id} was not fully removed: ${errors.join('; ')}`);
  }
}
