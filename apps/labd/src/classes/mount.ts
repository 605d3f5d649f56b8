import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Router } from '../http/http.ts';
import type { LabManager } from '../core/lab-manager.ts';
import type { Policy } from '../core/policy.ts';
import type { RateLimiter } from '../core/rate-limit.ts';
import type { SessionRegistry } from '../sessions/registry.ts';
import type { Store } from '../store/store.ts';
import { ClassStore } from './class-store.ts';
import { FOLLOW_PATH, followServer } from './follow.ts';
import { Rooms } from './room.ts';
import { addClassRoutes } from './routes.ts';

export interface Classes {
  /** Takes the upgrade when it is for the follow socket; false leaves it to the caller. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean;
  close(): void;
}

/** Adds the class endpoints to labd's router and owns the follow socket and the live rooms. */
export interface ClassesDeps {
  store: Store;
  manager: LabManager;
  registry: SessionRegistry;
  allowedOrigins: string[];
  policy: Policy;
  newLearners: RateLimiter;
}

export function mountClasses(router: Router, deps: ClassesDeps): Classes {
  const classes = new ClassStore(deps.store);
  const base = { classes, store: deps.store, manager: deps.manager, registry: deps.registry };
  const rooms = new Rooms(base);
  addClassRoutes(router, { ...base, rooms, policy: deps.policy, newLearners: deps.newLearners });
  const follow = followServer({ ...base, allowedOrigins: deps.allowedOrigins });
  return {
    handleUpgrade(req, socket, head, url) {
      if (url.pathname !== FOLLOW_PATH) return false;
      follow.handleUpgrade(req, socket, head, url);
      return true;
    },
    close() {
      follow.close();
      rooms.close();
    },
  };
}
