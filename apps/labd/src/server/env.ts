import { resolve } from 'node:path';
import { z } from 'zod';
import { intFlag, parseArgs, strFlag } from '../cli-args.ts';
import { usageError } from '../errors.ts';
import { splitHost } from './host-check.ts';

const origin = z.string().refine((s) => {
  try { const u = new URL(s); return u.origin === s && (u.protocol === 'http:' || u.protocol === 'https:'); } catch { return false; }
}, 'each origin is scheme://host[:port] with no path or trailing slash, e.g. http://127.0.0.1:3000');

/** Tokens given by env must be as hard to guess as the generated ones (32 random bytes). */
const token = z.string().min(32, 'at least 32 characters; generate one with: openssl rand -base64 32');

const Env = z.object({
  ELAB_HOST: z.string().min(1).optional(),
  ELAB_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ELAB_STATE_DIR: z.string().min(1).default('/var/lib/ebpf-lab'),
  ELAB_ALLOWED_ORIGINS: z.string().default('http://127.0.0.1:3000,http://localhost:3000')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(origin).min(1, 'list at least one origin')),
  /** Extra Host names labd answers to (server/host-check.ts), comma-separated NAME[:PORT]. */
  ELAB_ALLOWED_HOSTS: z.string().default(''),
  ELAB_SERVICE_TOKEN: token.optional(),
  ELAB_INSTRUCTOR_TOKEN: token.optional(),
  /** The netns driver's isolation is the host's: see `trustLearners` below. */
  ELAB_TRUST_LEARNERS: z.enum(['0', '1', 'true', 'false', '']).optional().transform((v) => v === '1' || v === 'true'),
  ELAB_MAX_LABS: z.coerce.number().int().min(1).max(10_000).default(20),
  ELAB_MAX_LABS_PER_LEARNER: z.coerce.number().int().min(1).max(20).default(2),
  ELAB_MAX_LEARNERS: z.coerce.number().int().min(1).max(1_000_000).default(500),
  /** How long a learner's web session lasts; ending it early is DELETE /v1/learners/session. */
  ELAB_LEARNER_SESSION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
});

export interface ServerConfig {
  host: string;
  port: number;
  stateDir: string;
  allowedOrigins: string[];
  /** Host names (NAME or NAME:PORT) labd answers to besides its own address and loopback. */
  allowedHosts: string[];
  serviceToken?: string;
  instructorToken?: string;
  /**
   * The netns driver shares the host's kernel and root with every lab shell. Without this, netns
   * labs are served only on loopback and to one learner at a time (one trusted user).
   */
  trustLearners: boolean;
  /** Running (or starting) labs: on the whole labd, and per learner. */
  maxLabs: number;
  maxLabsPerLearner: number;
  /** Learners labd will create in all (the web makes one per first visit). */
  maxLearners: number;
  learnerSessionDays: number;
  /** How long a pty outlives its last socket; the protocol's REATTACH_GRACE_MS unless a test shortens it. */
  graceMs?: number;
}

export const DEFAULT_PORT = 7420;

/** Validates labd's environment; the error names each bad variable and what it should be. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): z.infer<typeof Env> {
  const r = Env.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`);
    throw usageError(`labd environment is invalid:\n  ${lines.join('\n  ')}`, 'fix or unset the variables named above');
  }
  return r.data;
}

const USAGE = 'usage: labd [--host 127.0.0.1] [--port 7420] [--state-dir DIR] [--max-labs N] [--max-labs-per-learner N] [--allowed-hosts NAME[:PORT],...] [--trust-learners]';
const VALUE_FLAGS = ['host', 'port', 'state-dir', 'max-labs', 'max-labs-per-learner', 'allowed-hosts'];

/** Flags win over env. Binding anywhere but loopback takes an explicit --host or ELAB_HOST. */
export function serverConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const e = readEnv(env);
  const args = parseArgs(argv, VALUE_FLAGS);
  for (const k of args.flags.keys()) if (![...VALUE_FLAGS, 'trust-learners'].includes(k)) throw usageError(`unknown option --${k}`, USAGE);
  if (args.flags.has('trust-learners') && args.flags.get('trust-learners') !== true) throw usageError('--trust-learners takes no value', USAGE);
  if (args.positional.length) throw usageError(`unexpected argument "${args.positional[0]}"`, USAGE);
  const allowedHosts = (strFlag(args, 'allowed-hosts') ?? e.ELAB_ALLOWED_HOSTS).split(',').map((x) => x.trim()).filter(Boolean);
  for (const h of allowedHosts) {
    if (!splitHost(h)) throw usageError(`--allowed-hosts: "${h}" is not a host name`, 'give NAME or NAME:PORT, comma-separated, e.g. --allowed-hosts lab.example.org,labd.internal:7420');
  }
  return {
    trustLearners: args.flags.has('trust-learners') || e.ELAB_TRUST_LEARNERS,
    maxLabs: intFlag(args, 'max-labs', e.ELAB_MAX_LABS, 1, 10_000),
    maxLabsPerLearner: intFlag(args, 'max-labs-per-learner', e.ELAB_MAX_LABS_PER_LEARNER, 1, 20),
    maxLearners: e.ELAB_MAX_LEARNERS,
    learnerSessionDays: e.ELAB_LEARNER_SESSION_DAYS,
    host: strFlag(args, 'host') ?? e.ELAB_HOST ?? '127.0.0.1',
    port: intFlag(args, 'port', e.ELAB_PORT ?? DEFAULT_PORT, 0, 65535),
    stateDir: resolve(strFlag(args, 'state-dir') ?? e.ELAB_STATE_DIR),
    allowedOrigins: e.ELAB_ALLOWED_ORIGINS,
    allowedHosts,
    serviceToken: e.ELAB_SERVICE_TOKEN,
    instructorToken: e.ELAB_INSTRUCTOR_TOKEN,
  };
}
