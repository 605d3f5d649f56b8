import { intFlag, parseArgs, strFlag } from '../cli-args.ts';
import { configFrom, readEnv, type Config, type LabdEnv } from '../config.ts';
import { usageError } from '../errors.ts';
import { splitHost } from './host-check.ts';

export interface ServerConfig {
  host: string;
  port: number;
  stateDir: string;
  /** The engine's paths (state dir included): what startLabd hands to initConfig. */
  paths: Config;
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

const USAGE =
  'usage: labd [--host 127.0.0.1] [--port 7420] [--state-dir DIR] [--max-labs N] [--max-labs-per-learner N] [--allowed-hosts NAME[:PORT],...] [--trust-learners]';
const VALUE_FLAGS = ['host', 'port', 'state-dir', 'max-labs', 'max-labs-per-learner', 'allowed-hosts'];

/**
 * Flags win over env (the process's, parsed by config.ts, unless a test passes its own). Binding
 * anywhere but loopback takes an explicit --host or ELAB_HOST.
 */
export function serverConfig(argv: string[], e: LabdEnv = readEnv()): ServerConfig {
  const args = parseArgs(argv, VALUE_FLAGS);
  for (const k of args.flags.keys()) if (![...VALUE_FLAGS, 'trust-learners'].includes(k)) throw usageError(`unknown option --${k}`, USAGE);
  if (args.flags.has('trust-learners') && args.flags.get('trust-learners') !== true) throw usageError('--trust-learners takes no value', USAGE);
  if (args.positional.length) throw usageError(`unexpected argument "${args.positional[0]}"`, USAGE);
  const paths = configFrom(e, { stateDir: strFlag(args, 'state-dir') });
  const allowedHosts = (strFlag(args, 'allowed-hosts') ?? e.ELAB_ALLOWED_HOSTS)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const h of allowedHosts) {
    if (!splitHost(h))
      throw usageError(
        `--allowed-hosts: "${h}" is not a host name`,
        'give NAME or NAME:PORT, comma-separated, e.g. --allowed-hosts lab.example.org,labd.internal:7420',
      );
  }
  return {
    trustLearners: args.flags.has('trust-learners') || e.ELAB_TRUST_LEARNERS,
    maxLabs: intFlag(args, 'max-labs', e.ELAB_MAX_LABS, 1, 10_000),
    maxLabsPerLearner: intFlag(args, 'max-labs-per-learner', e.ELAB_MAX_LABS_PER_LEARNER, 1, 20),
    maxLearners: e.ELAB_MAX_LEARNERS,
    learnerSessionDays: e.ELAB_LEARNER_SESSION_DAYS,
    host: strFlag(args, 'host') ?? e.ELAB_HOST ?? '127.0.0.1',
    port: intFlag(args, 'port', e.ELAB_PORT ?? DEFAULT_PORT, 0, 65535),
    stateDir: paths.stateDir,
    paths,
    allowedOrigins: e.ELAB_ALLOWED_ORIGINS,
    allowedHosts,
    serviceToken: e.ELAB_SERVICE_TOKEN,
    instructorToken: e.ELAB_INSTRUCTOR_TOKEN,
  };
}
