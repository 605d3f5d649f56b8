import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const Env = z.object({
  ELAB_LABD_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:7420'),
  ELAB_SERVICE_TOKEN: z.string().min(20).optional(),
  ELAB_STATE_DIR: z.string().min(1).default('/var/lib/ebpf-lab'),
  /** The Origin labd is told for terminal sockets; by default the browser's own (checked same-origin). */
  ELAB_WEB_ORIGIN: z.url().optional(),
});

export interface LabdEnv { labdUrl: string; stateDir: string; webOrigin?: string }

let cached: LabdEnv | undefined;

/** labd's address and where its service token lives; validated once, a bad variable names itself. */
export function labdEnv(): LabdEnv {
  if (cached) return cached;
  const env = Env.safeParse(process.env);
  if (!env.success) throw new Error(`environment: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  cached = { labdUrl: env.data.ELAB_LABD_URL.replace(/\/$/, ''), stateDir: env.data.ELAB_STATE_DIR, webOrigin: env.data.ELAB_WEB_ORIGIN?.replace(/\/$/, '') };
  return cached;
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
