import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedLab } from '@ebpf-lab/lab-spec';
import { config } from '../../config.ts';
import { LabError, missingError } from '../../errors.ts';
import { missingCaps, missingTools } from '../../host-caps.ts';
import { instanceDir, listStateIds, loadStateAnywhere, newInstanceId, saveState } from '../../instances.ts';
import { run } from '../../proc.ts';
import { readConfined, writeConfined } from '../../workdir.ts';
import { stageLabFiles } from '../stage-files.ts';
import type {
  CapabilityReport,
  ExecOptions,
  InstanceState,
  LabDriver,
  LabExecResult,
  LabInstance,
  OnProgress,
  ReapReport,
  ShellCommand,
  Support,
} from '../types.ts';
import { cgroupPids, labCgroupBase } from './cgroup.ts';
import { destroyInstance, labHostLinks, labNetnsByInstance } from './destroy.ts';
import { applyLimits, confinementLacks, memberV1Dirs, mountWorkdir, resolveLimits, v1LabIds } from './limits.ts';
import { planTopology, prefixOf, topologySupport, type Member } from './topology.ts';
import { procStartTime } from '../../proc-stat.ts';
import { instanceIdOf } from '../lab-names.ts';

/** cgroup: the v2 directory; cgroups: it and the v1 ones (memory, pids, cpu, devices) that carry the limits. */
interface NetnsMemberState extends Member {
  cgroup: string;
  cgroups?: string[];
  holderPid: number;
  holderStart: string;
}
interface NetnsDriverState {
  members: NetnsMemberState[];
  addresses: Record<string, unknown>;
  creatorPid: number;
  limits?: string[];
}

const LAB_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Field 22 of /proc/<pid>/stat tells a live holder from a reused pid (null: gone or a zombie). */
const startTime = procStartTime;

/** True once the holder runs its wait loop: it has a `sleep` child (see lab-root.sh's last line). */
function holderSettled(pid: number): boolean {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.some((k) => {
      try {
        return readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'sleep';
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

class NetnsInstance implements LabInstance {
  constructor(readonly state: InstanceState) {}

  private get ds(): NetnsDriverState {
    return this.state.driverState as unknown as NetnsDriverState;
  }

  private member(node?: string): NetnsMemberState {
    const name = node ?? this.state.nodes[0];
    const m = this.ds.members.find((x) => x.name === name && x.kind !== 'switch');
    if (!m)
      throw new LabError(
        `lab ${this.state.id} has no node or pod "${name}"`,
        `nodes and pods: ${this.ds.members
          .filter((x) => x.kind !== 'switch')
          .map((x) => x.name)
          .join(', ')}`,
        2,
      );
    return m;
  }

  private env(m: NetnsMemberState, extra?: Record<string, string>): NodeJS.ProcessEnv {
    return {
      // libexec/bin first: the driver's own `lab-on` (run a command on another member).
      PATH: `${join(config().libexecDir, 'bin')}:${LAB_PATH}`,
      HOME: this.state.workdir,
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      LAB_ID: this.state.labId,
      LAB_INSTANCE: this.state.id,
      LAB_NODE: m.name,
      LAB_WORKDIR: this.state.workdir,
      LAB_MEMBERS: this.ds.members
        .filter((x) => x.kind !== 'switch')
        .map((x) => x.name)
        .join(' '),
      ...extra,
    };
  }

  private enterArgs(m: NetnsMemberState): string[] {
    return [join(config().libexecDir, 'enter.sh'), (m.cgroups ?? [m.cgroup]).join(':'), String(m.holderPid), this.state.workdir];
  }

  async exec(cmd: string, opts: ExecOptions = {}): Promise<LabExecResult> {
    const m = this.member(opts.node);
    const r = await run('/bin/bash', [...this.enterArgs(m), '/bin/bash', '-c', cmd], {
      timeoutMs: opts.timeoutMs,
      stdin: opts.stdin,
      signal: opts.signal,
      env: this.env(m, opts.env),
    });
    return r;
  }

  shellCommand(opts: { node?: string }): ShellCommand {
    const m = this.member(opts.node);
    return {
      file: '/bin/bash',
      args: [...this.enterArgs(m), '/bin/bash', '--rcfile', join(config().libexecDir, 'lab.bashrc'), '-i'],
      cwd: this.state.workdir,
      env: this.env(m) as Record<string, string>,
    };
  }

  readFile(path: string): Promise<Buffer> {
    return readConfined(this.state.workdir, path);
  }
  writeFile(path: string, data: Buffer | string): Promise<void> {
    return writeConfined(this.state.workdir, path, data);
  }

  /**
   * The lab's processes as the lab sees them: pids in its PID namespace (what its /proc, `ps` and
   * `bpftool perf show` print), not the host's. labd's own helpers in the cgroup (enter.sh before it
   * enters) have no pid in there and are left out.
   */
  async pids(): Promise<Set<number>> {
    const out = new Set<number>();
    for (const pid of cgroupPids(join(labCgroupBase(), prefixOf(this.state.id)))) {
      try {
        const ns = /^NSpid:\s+(.*)$/m
          .exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
          ?.trim()
          .split(/\s+/);
        if (ns && ns.length > 1) out.add(Number(ns[ns.length - 1]));
      } catch {
        /* exited */
      }
    }
    return out;
  }

  async alive(): Promise<boolean> {
    // Still being created by a live process: not a leftover, even though no holder is recorded yet.
    if (this.ds.members.length === 0) return startTime(this.ds.creatorPid) !== null && Date.now() - Date.parse(this.state.createdAt) < 60_000;
    return this.ds.members.every((m) => startTime(m.holderPid) === m.holderStart);
  }

  async down(): Promise<void> {
    const errors = await destroyInstance(this.state.id);
    if (errors.length) throw new Error(`lab ${this.state.id} was not fully removed: ${errors.join('; ')}`);
  }
}

/** How much of a failing holder's output labd keeps for its error message. */
const HOLDER_OUTPUT_MAX = 16 * 1024;

interface HolderEnv {
  workdir: string;
  netns: string[];
  tmpMiB: number;
  pidns?: number;
}

/**
 * Starts the holder of one namespace and waits until its root filesystem is in place; it reports
 * the host pid of the process that holds the namespaces (inside the lab's PID namespace).
 */
async function startHolder(member: Member, cgroups: string[], dir: string, h: HolderEnv): Promise<NetnsMemberState> {
  for (const c of cgroups) mkdirSync(c, { recursive: true });
  const ready = join(dir, `${member.name}.ready`);
  const log = join(dir, `${member.name}.holder.log`);
  const root = join(dir, `${member.name}.root`);
  mkdirSync(root, { recursive: true });
  // The holder's output goes to a pipe that labd reads only while the holder starts: it is needed
  // only to say why a start failed. A host file here would stay open in the lab's processes for
  // their whole life, and `>> /proc/1/fd/1` from the lab would fill the host's disk with it.
  const child = spawn('/bin/bash', [join(config().libexecDir, 'holder.sh'), cgroups.join(':'), member.netns, ready], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: LAB_PATH,
      LAB_ROOT: root,
      LAB_WORKDIR: h.workdir,
      LAB_LIBEXEC: config().libexecDir,
      LAB_NETNS: h.netns.join(' '),
      LAB_TMP_MIB: String(h.tmpMiB),
      ...(h.pidns ? { LAB_PIDNS: String(h.pidns) } : {}),
    },
  });
  child.unref();
  let out = '';
  const collect = (c: Buffer) => {
    if (out.length < HOLDER_OUTPUT_MAX) out += c.toString().slice(0, HOLDER_OUTPUT_MAX - out.length);
  };
  for (const s of [child.stdout!, child.stderr!]) {
    s.on('data', collect);
    s.on('error', () => {});
  }
  // Once started, labd reads no more: a later write from the lab ends in EPIPE, never on disk.
  const stopReading = () => {
    for (const s of [child.stdout!, child.stderr!]) s.destroy();
  };
  // A generous ceiling (a holder that dies is noticed at once below; this only bounds one that
  // hangs): on a shared 2-core host at load 30-40, a pod-to-pod lab's eleven holders, all in one
  // CPU-limited cgroup, settled after ~21 s, and after more than 60 s with two labs starting at once.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const m = existsSync(ready) ? /^(\d+)\n$/.exec(readFileSync(ready, 'utf8')) : null;
    if (m) {
      const pid = Number(m[1]);
      const start = startTime(pid);
      // The ready file is written before the holder execs its confined wait loop, and `lab-on` finds a
      // member by that loop's `sleep` child: a lab is up only once every member can be entered.
      if (start && holderSettled(pid)) {
        stopReading();
        return { ...member, cgroup: cgroups[0]!, cgroups, holderPid: pid, holderStart: start };
      }
    }
    if (Date.now() > deadline || startTime(child.pid!) === null) {
      // Give the pipe a moment to deliver what the holder wrote just before it ended.
      await new Promise((r) => setTimeout(r, 50));
      stopReading();
      // Kept for the operator (bounded: labd wrote it once, from the capped output).
      writeFileSync(log, out);
      throw new Error(`the namespace holder for ${member.netns} did not start: ${out.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

export class NetnsDriver implements LabDriver {
  readonly name = 'netns' as const;

  /** Any topology: nodes and pods are namespaces here. A plan that cannot be built says why. */
  supports(lab: LoadedLab): Support {
    return topologySupport(lab);
  }

  async preflight(): Promise<CapabilityReport> {
    const missing: CapabilityReport['missing'] = [];
    const caps = missingCaps(['CAP_SYS_ADMIN', 'CAP_NET_ADMIN']);
    if (caps.length) {
      missing.push({
        what: `the netns driver needs ${caps.join(' and ')} (network namespaces, veth, mounts); this process has not got ${caps.length > 1 ? 'them' : 'it'}`,
        fix: 'run as root, e.g. sudo npx lab …, or choose the vagrant driver (--driver vagrant), which runs unprivileged',
      });
    }
    missing.push(...missingTools(['ip', 'nsenter', 'unshare']));
    const lacks = confinementLacks();
    if (lacks.length)
      missing.push({
        what: `a netns lab cannot be shut in: this host lacks ${lacks.join(', ')}`,
        fix: 'apt-get install python3; modprobe overlay; or use the vagrant driver',
      });
    try {
      labCgroupBase();
    } catch (e) {
      missing.push({ what: (e as Error).message, fix: 'mount -t cgroup2 none /sys/fs/cgroup/unified' });
    }
    return { ok: missing.length === 0, missing };
  }

  async up(lab: LoadedLab, onProgress: OnProgress = () => {}): Promise<LabInstance> {
    const pre = await this.preflight();
    if (!pre.ok) throw missingError(pre.missing.map((m) => m.what).join('; '), pre.missing.map((m) => m.fix).join('; '));
    const id = newInstanceId();
    const dir = instanceDir(id);
    const workdir = join(dir, 'work');
    mkdirSync(workdir, { recursive: true });
    const limits = resolveLimits(lab.spec.limits);
    const plan = planTopology(id, lab.spec.topology);
    const nodes = plan.members.filter((m) => m.kind !== 'switch').map((m) => m.name);
    const state: InstanceState = {
      id,
      labId: lab.spec.id,
      driver: 'netns',
      createdAt: new Date().toISOString(),
      workdir,
      nodes,
      driverState: { members: [], addresses: plan.addresses, creatorPid: process.pid } satisfies NetnsDriverState as unknown as Record<string, unknown>,
    };
    // Saved before anything is created, so a crash from here on leaves something `lab reap` can find.
    saveState(state);
    try {
      onProgress({ phase: 'network', message: `creating ${plan.members.length} network namespace(s)`, fraction: 0.1 });
      const built = await run('/bin/bash', ['-e', '-c', plan.script], { timeoutMs: 30_000 });
      if (built.code !== 0) throw new Error(`building the lab network failed: ${built.stderr.trim()}`);
      onProgress({ phase: 'namespaces', message: "building each namespace's root filesystem", fraction: 0.4 });
      const prefix = prefixOf(id);
      const cgBase = join(labCgroupBase(), prefix);
      const enforced = applyLimits(prefix, limits);
      await mountWorkdir(workdir, prefix, limits.workdirMiB);
      enforced.push(`workdir ${limits.workdirMiB} MiB (tmpfs)`);
      (state.driverState as unknown as NetnsDriverState).limits = enforced;
      const h: HolderEnv = { workdir, netns: plan.members.map((m) => m.netns), tmpMiB: Math.min(limits.workdirMiB, 256) };
      const cgroupsOf = (m: Member) => [join(cgBase, m.name), ...memberV1Dirs(prefix, m.name)];
      // The first holder creates the lab's PID namespace; the others join it, so `lab-on` and `ps`
      // see the whole lab, and the first holder ending (PID 1) ends every process of the lab.
      const hosts = plan.members.filter((m) => m.kind !== 'switch');
      const first = await startHolder(hosts[0]!, cgroupsOf(hosts[0]!), dir, h);
      const rest = await Promise.all(hosts.slice(1).map((m) => startHolder(m, cgroupsOf(m), dir, { ...h, pidns: first.holderPid })));
      const members = [first, ...rest];
      // The switch namespace needs no holder: nothing runs in it, and its netns file keeps it.
      (state.driverState as unknown as NetnsDriverState).members = members;
      saveState(state);
      onProgress({ phase: 'files', message: 'copying starter files', fraction: 0.6 });
      stageLabFiles(lab, workdir);
      return new NetnsInstance(state);
    } catch (e) {
      await destroyInstance(id);
      throw e;
    }
  }

  attach(state: InstanceState): LabInstance {
    return new NetnsInstance(state);
  }

  async reap({ all }: { all: boolean }): Promise<ReapReport> {
    const ids = new Set<string>([...listStateIds(), ...(await labNetnsByInstance()).keys(), ...(await labHostLinks()).keys(), ...v1LabIds()]);
    try {
      const base = labCgroupBase();
      if (existsSync(base))
        for (const n of readdirSync(base)) {
          const id = instanceIdOf(n, 'none');
          if (id) ids.add(id);
        }
    } catch {
      /* no cgroup v2: nothing there to reap */
    }
    const report: ReapReport = { removed: [], kept: [], errors: [] };
    for (const id of ids) {
      const state = loadStateAnywhere(id);
      if (state && state.driver !== 'netns') continue;
      if (!all && state && (await new NetnsInstance(state).alive())) {
        report.kept.push(id);
        continue;
      }
      const errors = await destroyInstance(id);
      report.removed.push(id);
      report.errors.push(...errors.map((e) => `${id}: ${e}`));
    }
    return report;
  }
}
