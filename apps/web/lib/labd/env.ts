import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const Env = z.object({
  ELAB_LABD_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:7420'),
  ELAB_SERVICE_TOKEN: z.string().min(20).optional(),
  ELAB_STATE_DIR: z.string().min(1).default('/var/lib/ebpf-lab'),
  /**
   * The web's public origin(s), comma-separated (e.g. https://lab.example.org): the only Host and
   * Origin besides loopback the web answers. The first is the Origin labd is told for terminal
   * sockets; without it, the browser's own (already checked) is passed on.
   */
  ELAB_WEB_ORIGIN: z.string().optional().transform((s, ctx) => {
    const list = (s ?? '').split(',').map((x) => x.trim().replace(/\/$/, '')).filter(Boolean);
    for (const o of list) {
      let ok = false;
      try { const u = new URL(o); ok = u.origin === o && (u.protocol === 'http:' || u.protocol === 'https:'); } catch { /* not a URL */ }
      if (!ok) ctx.addIssue({ code: 'custom', message: `"${o}" is not an origin: scheme://host[:port], no path, e.g. https://lab.example.org` });
    }
    return list;
  }),
  /** Secure cookies: "auto" (default) when a public origin is https, else "1" (always) or "0" (never). */
  ELAB_SECURE_COOKIES: z.enum(['auto', '1', '0', 'true', 'false'], { message: 'use auto, 1 or 0' }).default('auto'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** "1": a reverse proxy on loopback fronts the web; the client address is the last X-Forwarded-For entry. */
  ELAB_TRUST_PROXY: z.enum(['0', '1', ''], { message: 'use 1 or 0' }).optional(),
  /** Serving the web beyond loopback while labd serves netns labs (root on the host): see lib/exposure.ts. */
  ELAB_TRUST_LEARNERS: z.enum(['0', '1', 'true', 'false', ''], { message: 'use 1 or 0' }).optional(),
});

export interface LabdEnv { labdUrl: string; stateDir: string; webOrigin?: string; publicOrigins: string[]; secureCookies: boolean; port: number; trustLearners: boolean; trustProxy: boolean }

let cached: LabdEnv | undefined;

/** Validates an environment (a bad variable names itself) into the web's settings. */
export function parseWebEnv(vars: Record<string, string | undefined>): LabdEnv {
  const env = Env.safeParse(vars);
  if (!env.success) throw new Error(`environment: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const d = env.data;
  const secure = d.ELAB_SECURE_COOKIES === 'auto' ? d.ELAB_WEB_ORIGIN.some((o) => o.startsWith('https:')) : d.ELAB_SECURE_COOKIES === '1' || d.ELAB_SECURE_COOKIES === 'true';
  return { labdUrl: d.ELAB_LABD_URL.replace(/\/$/, ''), stateDir: d.ELAB_STATE_DIR, webOrigin: d.ELAB_WEB_ORIGIN[0], publicOrigins: d.ELAB_WEB_ORIGIN, secureCookies: secure, port: d.PORT, trustLearners: d.ELAB_TRUST_LEARNERS === '1' || d.ELAB_TRUST_LEARNERS === 'true', trustProxy: d.ELAB_TRUST_PROXY === '1' };
}

/** labd's address, where its service token lives, and the web's public face; validated once. */
export function labdEnv(): LabdEnv {
  return (cached ??= parseWebEnv(process.env));
}

/**
 * The service token: ELAB_SERVICE_TOKEN, else <stateDir>/service-token (labd writes it at first
 * start). Read on every call that needs it (a labd re-install rotates it); never logged.
 */
export function serviceToken(): string {
  const fromEnv = process.env.ELAB_SERVICE_TOKEN;
  if (fromEnv) return fromEnv;
  const file = join(labdEnv().stateDir, 'service-token');
  if (!existsSync(file)) throw new Error(`no labd service token: set ELAB_SERVICE_TOKEN or start labd once so it writes ${file}`);
  return readFileSync(file, 'utf8').trim();
}
