import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { newToken, type Store } from '../store/store.ts';
import { Forbidden, Unauthorized } from '../errors.ts';
import type { RouteContext } from './http.ts';

import type { Principal } from '../core/principal.ts';

export type { LearnerPrincipal, Principal } from '../core/principal.ts';

/**
 * The service and instructor tokens: from env when set, else from `<stateDir>/<kind>-token`,
 * made at first start with mode 0600 (only root, who runs labd, may read it). Only the hash goes
 * into SQLite, and replacing it means a rotated token stops working at the next start.
 */
export function ensureFixedTokens(store: Store, stateDir: string, fromEnv: { service?: string; instructor?: string }): { service: string; instructor: string } {
  const get = (kind: 'service' | 'instructor'): string => {
    const given = fromEnv[kind];
    if (given) return given;
    const file = join(stateDir, `${kind}-token`);
    if (existsSync(file)) {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      const t = readFileSync(file, 'utf8').trim();
      if (t.length >= 32) return t;
    }
    const t = newToken();
    writeFileSync(file, `${t}\n`, { mode: 0o600 });
    return t;
  };
  const tokens = { service: get('service'), instructor: get('instructor') };
  store.setFixedToken('service', tokens.service);
  store.setFixedToken('instructor', tokens.instructor);
  return tokens;
}

/**
 * The bearer token of a request. `?token=` is honoured only where `allowQuery` says so (the
 * WebSocket, since browsers cannot set its headers); elsewhere it would end up in logs for nothing.
 */
export function tokenOf(req: IncomingMessage, url: URL, allowQuery: boolean): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m ? m[1]! : null;
  }
  return allowQuery ? url.searchParams.get('token') : null;
}

export function authenticate(store: Store, token: string | null): Principal {
  if (!token) throw new Unauthorized('no token', 'send Authorization: Bearer <token>');
  const row = store.findToken(token);
  if (!row) throw new Unauthorized('unknown token', 'learner tokens come from POST /v1/tokens; the service token is in <stateDir>/service-token');
  if (row.kind === 'learner') return { kind: 'learner', learnerId: row.learnerId!, labId: row.labId! };
  if (row.kind === 'instructor') return row.session ? { kind: 'instructor', session: true } : { kind: 'instructor' };
  return { kind: row.kind };
}

/** Route guards: authenticate, then require the token kind the endpoint is for. */
export function guards(store: Store) {
  const any = (ctx: RouteContext): Principal => authenticate(store, tokenOf(ctx.req, ctx.url, false));
  const of =
    <K extends Principal['kind']>(kind: K) =>
    (ctx: RouteContext): Extract<Principal, { kind: K }> => {
      const p = any(ctx);
      if (p.kind !== kind) throw new Forbidden(`this endpoint needs a ${kind} token, not a ${p.kind} token`);
      return p as Extract<Principal, { kind: K }>;
    };
  return { any, service: of('service'), instructor: of('instructor'), learner: of('learner') };
}
