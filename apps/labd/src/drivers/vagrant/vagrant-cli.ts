import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { config } from '../../config.ts';
import { run, type RunResult } from '../../proc.ts';
import type { InstanceState, OnProgress } from '../types.ts';
import type { Provider } from './host-check.ts';
import { UpTracker } from './machine-readable.ts';
import { processAlive } from '../../proc-stat.ts';

/** What the vagrant driver keeps per instance, next to the common InstanceState. */
export interface VagrantDriverState {
  provider: Provider;
  /** Vagrant machine name = the lab's node name = the Host in ssh-config. */
  machine: string;
  /** docker provider: the image the container runs. */
  image?: string;
  /** Host dir of the instance: Vagrant's dotfile dir, ssh config, key and socket, logs, staged files. */
  hostDir: string;
  sshConfig: string;
  controlPath: string;
  key: string;
  phase: 'creating' | 'ready';
  creatorPid: number;
  /** `vagrant up` while it runs: reap kills it when its creator died, or it would finish a machine nobody owns. */
  upPid?: number;
  /** libvirt: the box (ours: elab-box-<tag>), where Vagrant keeps it, kvm or qemu (TCG), VM size. */
  box?: string;
  vagrantHome?: string;
  libvirtDriver?: 'kvm' | 'qemu';
  memoryMb?: number;
  /** A cluster lab: LAB_NODES for the Vagrantfile (cluster.ts); the first node is `machine`. */
  nodesEnv?: string;
  /** Every Vagrant machine of the instance (one per node). */
  machines?: string[];
}

export const CONTAINER_PREFIX = 'ebpf-lab-';
export const LABEL_INSTANCE = 'org.ebpf-lab.instance';
export const LABEL_DRIVER = 'org.ebpf-lab.driver';

export const ds = (state: InstanceState) => state.driverState as unknown as VagrantDriverState;
export const dotfileDir = (d: VagrantDriverState) => join(d.hostDir, 'vagrant');

/**
 * The environment of every vagrant call for one instance (vagrant/README.md, "Contract").
 * VAGRANT_DEFAULT_PROVIDER goes on every call: a machine that is not created otherwise resolves
 * to another provider. The user's own LAB_* settings (LAB_DOCKER_ARGS, LAB_CPUS…) reach
 * `vagrant up` only: a bad one must not stop `destroy` from cleaning up.
 */
export function vagrantEnv(state: InstanceState, forUp = false): NodeJS.ProcessEnv {
  const d = ds(state);
  const base = forUp ? process.env : Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LAB_')));
  return {
    ...base,
    VAGRANT_CWD: join(config().repoRoot, 'vagrant'),
    VAGRANT_DOTFILE_PATH: dotfileDir(d),
    VAGRANT_DEFAULT_PROVIDER: d.provider,
    VAGRANT_CHECKPOINT_DISABLE: '1',
    VAGRANT_NO_COLOR: '1',
    LAB_INSTANCE_ID: state.id,
    LAB_MACHINE_NAME: d.machine,
    ...(d.image ? { LAB_DOCKER_IMAGE: d.image } : {}),
    ...(d.box ? { LAB_BOX: d.box } : {}),
    ...(d.vagrantHome ? { VAGRANT_HOME: d.vagrantHome } : {}),
    ...(d.libvirtDriver ? { LAB_LIBVIRT_DRIVER: d.libvirtDriver } : {}),
    ...(d.memoryMb ? { LAB_MEMORY_MB: String(d.memoryMb), LAB_CPUS: '1' } : {}),
    ...(d.nodesEnv ? { LAB_NODES: d.nodesEnv } : {}),
    // Each VM's serial console as a file in the instance dir: kept when an up fails.
    ...(d.provider === 'libvirt' ? { LAB_CONSOLE_DIR: d.hostDir } : {}),
    // The Vagrantfile refuses a key path whose files are gone (a half-removed instance).
    ...(d.key && existsSync(d.key) && existsSync(`${d.key}.pub`) ? { LAB_SSH_PRIVATE_KEY: d.key } : {}),
  };
}

export function vagrant(state: InstanceState, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return run('vagrant', args, { cwd: join(config().repoRoot, 'vagrant'), env: vagrantEnv(state), timeoutMs });
}

export interface UpOutcome {
  code: number;
  timedOut: boolean;
  tracker: UpTracker;
  /** Why `watch` stopped vagrant, when it did. */
  stopped?: string;
}

/**
 * `vagrant up --machine-readable`, each line turned into progress as it arrives and appended to
 * `logFile`. Vagrant gets its own process group: a timeout kills it with everything it started.
 */
export function vagrantUp(
  state: InstanceState,
  o: {
    onProgress: OnProgress;
    onPid: (pid: number) => void;
    logFile: string;
    timeoutMs: number;
    /** Polled every 2 s while vagrant runs; a reason returned stops vagrant (it would only wait out a timeout). */
    watch?: () => Promise<string | null>;
  },
): Promise<UpOutcome> {
  const tracker = new UpTracker();
  return new Promise((resolve) => {
    const child = spawn('vagrant', ['up', '--provider', ds(state).provider, '--machine-readable'], {
      cwd: join(config().repoRoot, 'vagrant'),
      env: vagrantEnv(state, true),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) o.onPid(child.pid);
    let timedOut = false;
    let stopped: string | undefined;
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    let watching = false;
    const poll =
      o.watch &&
      setInterval(() => {
        if (watching || stopped) return;
        watching = true;
        o.watch!()
          .then(
            (why) => {
              if (why && !stopped) {
                stopped = why;
                kill();
              }
            },
            () => undefined,
          )
          .finally(() => {
            watching = false;
          });
      }, 2000);
    const feed = (stream: NodeJS.ReadableStream) => {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) {
          appendFileSync(o.logFile, `${l}\n`);
          for (const p of tracker.feed(l)) o.onProgress(p);
        }
      });
      stream.on('end', () => {
        if (partial) {
          appendFileSync(o.logFile, partial);
          tracker.feed(partial);
        }
      });
    };
    feed(child.stdout!);
    feed(child.stderr!);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, o.timeoutMs);
    const done = () => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
    };
    child.on('error', (e) => {
      done();
      tracker.plain.push(`cannot run vagrant: ${e.message}`);
      resolve({ code: 127, timedOut, tracker });
    });
    child.on('close', (code) => {
      done();
      resolve({ code: code ?? 137, timedOut, tracker, stopped });
    });
  });
}

/** The container vagrant made for this instance (docker provider), from Vagrant's own state. */
export function containerIdOf(d: VagrantDriverState): string | null {
  try {
    return readFileSync(join(dotfileDir(d), 'machines', d.machine, 'docker', 'id'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Containers of one instance (or, without an id, of every instance) by the labels the Vagrantfile sets. */
export async function labelledContainers(id?: string): Promise<{ name: string; instance: string }[]> {
  const filters = ['--filter', `label=${LABEL_DRIVER}=vagrant`, ...(id ? ['--filter', `label=${LABEL_INSTANCE}=${id}`] : [])];
  const r = await run('docker', ['ps', '-a', ...filters, '--format', `{{.Names}}\t{{.Label "${LABEL_INSTANCE}"}}`], { timeoutMs: 30_000 });
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name = '', instance = ''] = l.split('\t');
      return { name, instance };
    });
}

export { processAlive };

/** True when pid is still a `vagrant` process (not a reused pid). */
export function isVagrantProcess(pid: number | undefined): boolean {
  if (!processAlive(pid)) return false;
  try {
    return /vagrant/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/** Copies the VMs' console files (LAB_CONSOLE_DIR = hostDir) into `logs`; returns the copies. */
export function keepConsoles(hostDir: string, logs: string, id: string): string[] {
  let names: string[];
  try {
    names = readdirSync(hostDir).filter((n) => /^console-[\w-]+\.log$/.test(n));
  } catch {
    return [];
  }
  const kept: string[] = [];
  for (const n of names) {
    const to = join(logs, `vagrant-${id}-${n}`);
    try {
      mkdirSync(logs, { recursive: true });
      copyFileSync(join(hostDir, n), to);
      kept.push(to);
    } catch {
      /* unreadable: the up log still says what vagrant saw */
    }
  }
  return kept;
}

/** What scripts/vm/guest-init.sh says on the console each time udhcpc's lease attempt failed. */
export const DHCP_RETRY_LINE = 'ebpf-lab-vm: DHCP: no lease on';

/**
 * Machines whose console shows failed DHCP attempts (the guest retried and got there), with the
 * count: an infrastructure retry a reader of the CI log must see, not hide.
 */
export function dhcpRetries(hostDir: string): { machine: string; retries: number }[] {
  let names: string[];
  try {
    names = readdirSync(hostDir)
      .filter((n) => /^console-[\w-]+\.log$/.test(n))
      .sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    let text = '';
    try {
      text = readFileSync(join(hostDir, n), 'utf8');
    } catch {
      return [];
    }
    const retries = text.split('\n').filter((l) => l.includes(DHCP_RETRY_LINE)).length;
    return retries ? [{ machine: n.slice('console-'.length, -'.log'.length), retries }] : [];
  });
}
