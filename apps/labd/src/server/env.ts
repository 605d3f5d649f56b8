import { resolve } from 'node:path';
import { z } from 'zod';
import { intFlag, parseArgs, strFlag } from '../cli-args.ts';
import { usageError } from '../errors.ts';

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
  ELAB_SERVICE_TOKEN: token.optional(),
  ELAB_INSTRUCTOR_TOKEN: token.optional(),
});

export interface ServerConfig {
  host: string;
  port: number;
  stateDir: string;
  allowedOrigins: string[];
  serviceToken?: string;
  instructorToken?: string;
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

/** Flags win over env. Binding anywhere but loopback takes an explicit --host or ELAB_HOST. */
export function serverConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const e = readEnv(env);
  const args = parseArgs(argv, ['host', 'port', 'state-dir']);
  for (const k of args.flags.keys()) if (!['host', 'port', 'state-dir'].includes(k)) throw usageError(`unknown option --${k}`, 'usage: labd [--host 127.0.0.1] [--port 7420] [--state-dir DIR]');
  if (args.positional.length) throw usageError(`unexpected argument "${args.positional[0]}"`, 'usage: labd [--host 127.0.0.1] [--port 7420] [--state-dir DIR]');
  return {
    host: strFlag(args, 'host') ?? e.ELAB_HOST ?? '127.0.0.1',
    port: intFlag(args, 'port', e.ELAB_PORT ?? DEFAULT_PORT, 0, 65535),
    stateDir: resolve(strFlag(args, 'state-dir') ?? e.ELAB_STATE_DIR),
    allowedOrigins: e.ELAB_ALLOWED_ORIGINS,
    serviceToken: e.ELAB_SERVICE_TOKEN,
    instructorToken: e.ELAB_INSTRUCTOR_TOKEN,
  };
}
