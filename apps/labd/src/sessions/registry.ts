import { randomBytes } from 'node:crypto';
import type { Pty } from '../drivers/types.ts';
import { TerminalSession, type Role, type Sink, type Subscriber } from './terminal-session.ts';

export interface SessionKey { learnerId: string; instanceId: string; node: string }

const keyString = (k: SessionKey) => `${k.learnerId}\0${k.instanceId}\0${k.node}`;

/**
 * Every live terminal session, one per (learner, instance, node). A learner's socket creates the
 * session on demand; a follower (an instructor's read-only view) only joins one that exists.
 */
export class SessionRegistry {
  private sessions = new Map<string, { key: SessionKey; session: TerminalSession }>();

  constructor(private readonly opts: { graceMs?: number } = {}) {}

  get(key: SessionKey): TerminalSession | undefined {
    return this.sessions.get(keyString(key))?.session;
  }

  list(): { key: SessionKey; session: TerminalSession }[] {
    return [...this.sessions.values()];
  }

  /** Attaches a socket, spawning the pty first when the key has no live session. */
  attach(key: SessionKey, spawn: () => Pty, sink: Sink, role: Role = 'learner'): { session: TerminalSession; sub: Subscriber } {
    let session = this.get(key);
    if (!session) {
      if (role === 'follower') throw new Error('there is no terminal session to follow');
      const k = keyString(key);
      const created = new TerminalSession(randomBytes(8).toString('hex'), key.node, spawn(), {
        graceMs: this.opts.graceMs,
        // Only forget the entry if it still holds this session (a new one may have replaced it).
        onEnd: (s) => { if (this.sessions.get(k)?.session === s) this.sessions.delete(k); },
      });
      this.sessions.set(k, { key, session: created });
      session = created;
    }
    return { session, sub: session.attach(sink, role) };
  }

  /** Ends every session of an instance (its lab was reset or taken down). */
  closeInstance(instanceId: string): void {
    for (const { key, session } of this.list()) if (key.instanceId === instanceId) session.kill();
  }

  closeAll(): void {
    for (const { session } of this.list()) session.kill();
  }
}
