import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Every variable the web reads, in one schema (labd's address and token, the public face, the
 * lesson folder). It is parsed once per process: server.ts parses it at start and Next's bundle
 * (same process, its own copy of this module) finds the same object through globalThis.
 */
const Env = z.object({
  ELAB_LABD_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:7420'),
  /** The web→labd service token, given explicitly: the value, or a file holding it (scripts/start.sh). */
  ELAB_SERVICE_TOKEN: z.string().min(20, "at least 20 characters: labd's service token").optional(),
  ELAB_SERVICE_TOKEN_FILE: z.string().min(1).optional(),
  /**
   * The web's public origin(s), comma-separated (e.g. https://lab.example.org): the only Host and
   * Origin besides loopback the web answers. The first is the Origin labd is told for terminal
   * sockets; without it, the browser's own (already checked) is passed on.
   */
  ELAB_WEB_ORIGIN: z
    .string()
    .optional()
    .transform((s, ctx) => {
      const list = (s ?? '')
        .split(',')
        .map((x) => x.trim().replace(/\/$/, ''))
        .filter(Boolean);
      for (const o of list) {
        let ok = false;
        try {
          const u = new URL(o);
          ok = u.origin === o && (u.protocol === 'http:' || u.protocol === 'https:');
        } catch {
          /* not a URL */
        }
        if (!ok) ctx.addIssue({ code: 'custom', message: `"${o}" is not an origin: scheme://host[:port], no path, e.g. https://lab.example.org` });
      }
      return list;
    }),
  /** Secure cookies: "auto" (default) when a public origin is https, else "1" (always) or "0" (never). */
  ELAB_SECURE_COOKIES: z.enum(['auto', '1', '0', 'true', 'false'], { message: 'use auto, 1 or 0' }).default('auto'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** "1": a reverse proxy on loopback fronts the web; the client address is the last X-Forwarded-For entry. */
  ELAB_TRUST_PROXY: z.enum(['0', '1', ''], { message: 'use 1 or 0' }).optional(),
  /** Serving the web beyond loopback while labd serves netns labs (root on the host): see lib/exposure.ts. */
  ELAB_TRUST_LEARNERS: z.enum(['0', '1', 'true', 'false', ''], { message: 'use 1 or 0' }).optional(),
  /** "0": always splice terminal sockets, even to a labd on this host (lib/labd/handoff.ts). */
  ELAB_TERMINAL_HANDOFF: z.enum(['0', '1', 'true', 'false'], { message: 'use 1 or 0' }).default('1'),
  /** Lessons (content/<locale>/*.mdx); tests point it at fixtures. */
  ELAB_CONTENT_DIR: z.string().min(1).optional(),
});

export interface WebConfig {
  labdUrl: string;
  webOrigin?: string;
  publicOrigins: string[];
  secureCookies: boolean;
  port: number;
  host: string;
  trustLearners: boolean;
  trustProxy: boolean;
  /** Offer labd the browser's terminal socket when labd is on this host (lib/labd/handoff.ts). */
  terminalHandoff: boolean;
  repoRoot: string;
  contentDir: string;
  /** Where the service token comes from; serviceToken() reads it. */
  token: { value?: string; file?: string; lastRead?: string };
}
/** The old name: most callers want labd's address and the public face. */
export type LabdEnv = WebConfig;

function findRepoRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).workspaces) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the repository root (a package.json with "workspaces") above ${from}`);
  }
}

/** Validates an environment into the web's settings; a bad variable is named with its value. */
export function parseWebEnv(vars: Record<string, string | undefined>, cwd = process.cwd()): WebConfig {
  const env = Env.safeParse(vars);
  if (!env.success) {
    const lines = env.error.issues.map((i) => {
      const name = String(i.path[0] ?? '?');
      return `${name}${/TOKEN/.test(name) ? '' : `=${JSON.stringify(vars[name])}`}: ${i.message}`;
    });
    throw new Error(`environment: ${lines.join('; ')} (fix or unset the variables named)`);
  }
  const d = env.data;
  const secure =
    d.ELAB_SECURE_COOKIES === 'auto'
      ? d.ELAB_WEB_ORIGIN.some((o) => o.startsWith('https:'))
      : d.ELAB_SECURE_COOKIES === '1' || d.ELAB_SECURE_COOKIES === 'true';
  // Content is read at request time from the repository, never traced into the build.
  const repoRoot = findRepoRoot(cwd);
  return {
    labdUrl: d.ELAB_LABD_URL.replace(/\/$/, ''),
    webOrigin: d.ELAB_WEB_ORIGIN[0],
    publicOrigins: d.ELAB_WEB_ORIGIN,
    secureCookies: secure,
    port: d.PORT,
    host: d.HOST,
    trustLearners: d.ELAB_TRUST_LEARNERS === '1' || d.ELAB_TRUST_LEARNERS === 'true',
    trustProxy: d.ELAB_TRUST_PROXY === '1',
    terminalHandoff: d.ELAB_TERMINAL_HANDOFF === '1' || d.ELAB_TERMINAL_HANDOFF === 'true',
    repoRoot,
    contentDir: resolve(/* turbopackIgnore: true */ d.ELAB_CONTENT_DIR ?? join(repoRoot, 'content')),
    token: { value: d.ELAB_SERVICE_TOKEN, file: d.ELAB_SERVICE_TOKEN_FILE && resolve(/* turbopackIgnore: true */ d.ELAB_SERVICE_TOKEN_FILE) },
  };
}

const KEY = Symbol.for('ebpf-lab.web-config');
const shared = globalThis as { [KEY]?: WebConfig };

/** The process's one WebConfig, parsed from the environment the first time anything asks. */
export function webConfig(): WebConfig {
  return (shared[KEY] ??= parseWebEnv(process.env));
}
export const labdEnv = webConfig;

/**
 * The service token: ELAB_SERVICE_TOKEN, else the file ELAB_SERVICE_TOKEN_FILE names (read again
 * on each call while readable, so a labd re-install that rotates it is followed; the last value
 * read is kept for when it is not, e.g. after the web dropped root). Never logged.
 */
export function serviceToken(): string {
  const t = webConfig().token;
  if (t.value) return t.value;
  if (!t.file)
    throw new Error('no labd service token: set ELAB_SERVICE_TOKEN, or ELAB_SERVICE_TOKEN_FILE=<labd state dir>/service-token (scripts/start.sh does)');
  let why: string;
  try {
    const v = readFileSync(t.file, 'utf8').trim();
    if (v) return (t.lastRead = v);
    why = 'it is empty';
  } catch (e) {
    why = `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  if (t.lastRead) return t.lastRead;
  throw new Error(`no labd service token in ELAB_SERVICE_TOKEN_FILE ${t.file}: ${why}; labd writes <stateDir>/service-token at first start`);
}
