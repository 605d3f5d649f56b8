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
  try { const u = new URL(s); return u.origin === s && (u.protocol === 'http:' || u.protocol === 'https:'); } catch { return false; }
}, 'each origin is scheme://host[:port] with no path or trailing slash, e.g. http://127.0.0.1:3000');

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
  ELAB_ALLOWED_ORIGINS: z.string().default('http://127.0.0.1:3000,http://localhost:3000')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(origin).min(1, 'list at least one origin')),
  /** Extra Host names labd answers to (server/host-check.ts), comma-separated NAME[:PORT]. */
  ELAB_ALLOWED_HOSTS: z.string().default(''),
  ELAB_SERVICE_TOKEN: token.optional(),
  ELAB_INSTRUCTOR_TOKEN: token.optional(),
  /** The netns driver's isolation is the host's: see ServerConfig.trustLearners. */
  ELAB_TRUST_LEARNERS: z.enum(['0', '1', 'true', 'false', ''], { message: 'use 1 or 0' }).optional().transform((v) => v === '1' || v === 'true'),
  ELAB_MAX_LABS: z.coerce.number().int().min(1).max(10_000).default(20),
  ELAB_MAX_LABS_PER_LEARNER: z.coerce.number().int().min(1).max(20).default(2),
  ELAB_MAX_LEARNERS: z.coerce.number().int().min(1).max(1_000_000).default(500),
  /** How long a learner's web session lasts; ending it early is DELETE /v1/learners/session. */
  ELAB_LEARNER_SESSION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
});
export type LabdEnv = z.infer<typeof Env>;

/** Validates labd's environment; the error names each bad variable, its value (never a secret's) and the rule. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): LabdEnv {
  // An empty variable is an unset one (`ELAB_PORT= labd` is a common way to clear it).
  const given = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('ELAB_') && v !== ''));
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

/** Where labd's files are: the repository it runs from, the labs it serves and its state. */
export interface Config { repoRoot: string; labsDir: string; stateDir: string; libexecDir: string }

/** The paths from a parsed environment; a flag (e.g. --state-dir) given by the caller wins. */
export function configFrom(env: LabdEnv, flags: { stateDir?: string; labsDir?: string } = {}): Config {
  const repoRoot = findRepoRoot();
  return {
    repoRoot,
    labsDir: resolve(flags.labsDir ?? env.ELAB_LABS_DIR ?? join(repoRoot, 'labs')),
    stateDir: resolve(flags.stateDir ?? env.ELAB_STATE_DIR),
    libexecDir: join(repoRoot, 'apps/labd/libexec'),
  };
}

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
