import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { usageError } from './errors.ts';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).workspaces) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (a package.json with "workspaces") above labd');
    dir = up;
  }
}

const origin = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.origin === s && (u.protocol === 'http:' || u.protocol === 'https:');
  } catch {
    return false;
  }
}, 'each origin is scheme://host[:port] with no path or trailing slash, e.g. http://127.0.0.1:3000');

/** A 0/1 switch. */
const flag = z
  .enum(['0', '1', 'true', 'false'], { message: 'use 1 or 0' })
  .optional()
  .transform((v) => v === '1' || v === 'true');

/** A whole number in [min, max]; `rule` says what it is, with an example, for the error. */
const wholeNumber = (min: number, max: number, rule: string) =>
  z.string().regex(/^\d+$/, rule).transform(Number).pipe(z.number().min(min, rule).max(max, rule));

/** The vagrant driver's providers (drivers/vagrant/host-check.ts re-exports them). */
export const VAGRANT_PROVIDERS = ['docker', 'virtualbox', 'libvirt'] as const;

/** Tokens given by env must be as hard to guess as the generated ones (32 random bytes). */
const token = z.string().min(32, 'at least 32 characters; generate one with: openssl rand -base64 32');

/**
 * Every variable labd and the lab CLI read at start, in one schema: the server's flags and the
 * engine's paths come from the same parse, so they cannot disagree.
 */
const Env = z.object({
  ELAB_LABS_DIR: z.string().optional(),
  ELAB_STATE_DIR: z.string().min(1, 'a folder path, e.g. /var/lib/ebpf-lab').default('/var/lib/ebpf-lab'),
  ELAB_HOST: z.string().min(1).optional(),
  ELAB_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ELAB_ALLOWED_ORIGINS: z
    .string()
    .default('http://127.0.0.1:3000,http://localhost:3000')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(origin).min(1, 'list at least one origin')),
  /** Extra Host names labd answers to (server/host-check.ts), comma-separated NAME[:PORT]. */
  ELAB_ALLOWED_HOSTS: z.string().default(''),
  ELAB_SERVICE_TOKEN: token.optional(),
  ELAB_INSTRUCTOR_TOKEN: token.optional(),
  /** The netns driver's isolation is the host's: see ServerConfig.trustLearners. */
  ELAB_TRUST_LEARNERS: z
    .enum(['0', '1', 'true', 'false', ''], { message: 'use 1 or 0' })
    .optional()
    .transform((v) => v === '1' || v === 'true'),
  ELAB_MAX_LABS: z.coerce.number().int().min(1).max(10_000).default(20),
  ELAB_MAX_LABS_PER_LEARNER: z.coerce.number().int().min(1).max(20).default(2),
  ELAB_MAX_LEARNERS: z.coerce.number().int().min(1).max(1_000_000).default(500),
  /** How long a learner's web session lasts; ending it early is DELETE /v1/learners/session. */
  ELAB_LEARNER_SESSION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Where labd looks for the tools it runs (qemu, vagrant, docker…). */
  PATH: z.string().default('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'),
  /** Every answer checked against packages/api (http/contract.ts); every labd test sets it. */
  ELAB_CHECK_RESPONSES: flag,
  ELAB_CHECK_WARM: wholeNumber(0, 8, 'check children kept started, 0-8 (0 turns it off)').default(2),
  ELAB_TERMINAL_ORPHAN_MS: wholeNumber(100, 7 * 86_400_000, 'milliseconds a terminal outlives labd, at least 100; unset it for 15 minutes').default(
    15 * 60_000,
  ),
  /** The terminal handoff's addon (apps/labd/native/pidfd.c, built by npm run build:labd). */
  ELAB_PIDFD_ADDON: z.string().optional(),
  // The vm driver (drivers/vm).
  ELAB_VM_IMAGE_DIR: z.string().optional(),
  ELAB_VM_ACCEL: z.enum(['kvm', 'tcg'], { message: 'use kvm or tcg, or unset it to probe' }).optional(),
  ELAB_VM_BOOT_TIMEOUT_S: wholeNumber(1, 3600, 'seconds a guest may take to boot, 1-3600, e.g. 240').optional(),
  ELAB_VM_MIN_FREE_MIB: wholeNumber(0, 1 << 30, 'MiB a guest needs free in the state dir, e.g. 1024').default(1024),
  ELAB_VM_POOL: wholeNumber(0, 32, 'booted guests to keep ready, 0-32').default(0),
  ELAB_VM_EXEC: z.enum(['agent', 'ssh'], { message: 'use agent (the default) or ssh (an SSH session per command)' }).default('agent'),
  // The vagrant driver (drivers/vagrant); the LAB_* ones are vagrant/Vagrantfile's, read by labd too.
  ELAB_VAGRANT_PROVIDER: z.enum(VAGRANT_PROVIDERS, { message: `use one of: ${VAGRANT_PROVIDERS.join(', ')}` }).optional(),
  LAB_MEMORY_MB: wholeNumber(100, 999_999, 'MB of memory per VM, 100-999999, e.g. 640').optional(),
  LAB_BOX: z.string().optional(),
  LAB_BOX_VERSION: z.string().optional(),
  LAB_DOCKER_IMAGE: z.string().optional(),
  LAB_CACHE_DIR: z.string().default('/var/cache/ebpf-lab'),
  VAGRANT_HOME: z.string().optional(),
});
export type LabdEnv = z.infer<typeof Env>;
/** The variables without the ELAB_ prefix that labd reads (all others are ignored). */
const OTHER_KEYS = new Set(Object.keys(Env.shape).filter((k) => !k.startsWith('ELAB_')));

/** Validates labd's environment; the error names each bad variable, its value (never a secret's) and the rule. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): LabdEnv {
  // An empty variable is an unset one (`ELAB_PORT= labd` is a common way to clear it).
  const given = Object.fromEntries(Object.entries(env).filter(([k, v]) => (k.startsWith('ELAB_') || OTHER_KEYS.has(k)) && v !== ''));
  const r = Env.safeParse(given);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const name = String(i.path[0] ?? '?');
      const shown = /TOKEN/.test(name) ? '(hidden)' : JSON.stringify(given[name]);
      return `${name}=${shown}: ${i.message}`;
    });
    throw usageError(`labd environment is invalid:\n  ${lines.join('\n  ')}`, 'fix or unset the variables named above');
  }
  return r.data;
}

/** The vm driver's settings (README: Drivers). */
export interface VmSettings {
  /** A built image to use instead of the one scripts/build-vm-image.sh --print-dir names. */
  imageDir?: string;
  /** Forced accelerator; unset, a probe guest decides. */
  accel?: 'kvm' | 'tcg';
  /** Boot time limit; unset, 60 s on KVM and 240 s on TCG. */
  bootTimeoutS?: number;
  minFreeMiB: number;
  pool: number;
  /** How commands reach the guest: its exec agent, or an SSH session each (the benchmark's anchor). */
  exec: 'agent' | 'ssh';
}

/** The vagrant driver's settings; the LAB_* ones also reach vagrant/Vagrantfile through the environment. */
export interface VagrantSettings {
  /** Unset: docker where it works, else VirtualBox (host-check.ts chooseProvider). */
  provider?: (typeof VAGRANT_PROVIDERS)[number];
  /** libvirt VMs' memory; unset, 640 MB. */
  memoryMb?: number;
  box?: string;
  boxVersion?: string;
  dockerImage?: string;
  vagrantHome?: string;
  cacheDir: string;
}

/**
 * Everything labd's parts need from the environment, parsed once: where its files are (the
 * repository, the labs it serves, its state), the drivers' settings and the engine's knobs.
 */
export interface Config {
  repoRoot: string;
  labsDir: string;
  stateDir: string;
  libexecDir: string;
  /** PATH for finding tools (host-caps.ts which). */
  toolPath: string;
  checkResponses: boolean;
  checkWarm: number;
  terminalOrphanMs: number;
  /** pidfd.node: lets labd take a browser socket over from the web (sessions/handoff.ts). */
  pidfdAddon: string;
  vm: VmSettings;
  vagrant: VagrantSettings;
}

/** The Config of a parsed environment; a flag (e.g. --state-dir) given by the caller wins. */
export function configFrom(env: LabdEnv, flags: { stateDir?: string; labsDir?: string } = {}): Config {
  const repoRoot = findRepoRoot();
  return {
    repoRoot,
    labsDir: resolve(flags.labsDir ?? env.ELAB_LABS_DIR ?? join(repoRoot, 'labs')),
    stateDir: resolve(flags.stateDir ?? env.ELAB_STATE_DIR),
    libexecDir: join(repoRoot, 'apps/labd/libexec'),
    toolPath: env.PATH,
    checkResponses: env.ELAB_CHECK_RESPONSES,
    checkWarm: env.ELAB_CHECK_WARM,
    terminalOrphanMs: env.ELAB_TERMINAL_ORPHAN_MS,
    pidfdAddon: resolve(env.ELAB_PIDFD_ADDON ?? join(repoRoot, 'apps/labd/native/pidfd.node')),
    vm: {
      imageDir: env.ELAB_VM_IMAGE_DIR,
      accel: env.ELAB_VM_ACCEL,
      bootTimeoutS: env.ELAB_VM_BOOT_TIMEOUT_S,
      minFreeMiB: env.ELAB_VM_MIN_FREE_MIB,
      pool: env.ELAB_VM_POOL,
      exec: env.ELAB_VM_EXEC,
    },
    vagrant: {
      provider: env.ELAB_VAGRANT_PROVIDER,
      memoryMb: env.LAB_MEMORY_MB,
      box: env.LAB_BOX?.trim(),
      boxVersion: env.LAB_BOX_VERSION?.trim(),
      dockerImage: env.LAB_DOCKER_IMAGE?.trim(),
      vagrantHome: env.VAGRANT_HOME?.trim(),
      cacheDir: env.LAB_CACHE_DIR,
    },
  };
}

/** A Config from an environment object: tests build drivers' settings with it (`configOf({...}).vm`). */
export const configOf = (env: NodeJS.ProcessEnv): Config => configFrom(readEnv(env));

let current: Config | undefined;

/**
 * Sets the process's one Config; the entry points (labd, `lab serve`) call it once with what their
 * flags and environment say. Setting a different one later is a bug (two parts of labd would look
 * at two state dirs), so it throws.
 */
export function initConfig(cfg: Config): Config {
  if (current && JSON.stringify(current) !== JSON.stringify(cfg)) {
    throw new Error(`labd config set twice: state dir ${current.stateDir} then ${cfg.stateDir}, labs ${current.labsDir} then ${cfg.labsDir}`);
  }
  return (current = cfg);
}

/** The process's Config: as set by initConfig, else from the environment, parsed once. */
export function config(): Config {
  return (current ??= configFrom(readEnv()));
}
