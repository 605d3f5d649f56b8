import { randomBytes } from 'node:crypto';
import type { Pty } from '../drivers/types.ts';
import { TerminalSession, type Role, type Sink, type Subscriber } from './terminal-session.ts';

export interface SessionKey {
  learnerId: string;
  instanceId: string;
  node: string;
}

/** A shell to start a session on: a bare pty, or one with earlier output (a holder's scrollback). */
export type OpenedShell = Pty | { pty: Pty; replay: string };
export type OpenShell = (id: string) => OpenedShell | Promise<OpenedShell>;

const keyString = (k: SessionKey) => `${k.learnerId}\0${k.instanceId}\0${k.node}`;

/**
 * Every live terminal session, one per (learner, instance, node). A learner's socket creates the
 * session on demand; a follower (an instructor's read-only view) only joins one that exists.
 */
export class SessionRegistry {
  private sessions = new Map<string, { key: SessionKey; session: TerminalSession }>();
  /** Sessions whose shell is still starting, so two sockets arriving together share one shell. */
  private starting = new Map<string, Promise<TerminalSession>>();

  constructor(private readonly opts: { graceMs?: number; onCloseInstance?: (instanceId: string) => Promise<void> } = {}) {}

  get(key: SessionKey): TerminalSession | undefined {
    return this.sessions.get(keyString(key))?.session;
  }

  list(): { key: SessionKey; session: TerminalSession }[] {
    return [...this.sessions.values()];
  }

  /** Attaches a socket, starting the shell first when the key has no live session. */
  async attach(key: SessionKey, open: OpenShell, sink: Sink, role: Role = 'learner'): Promise<{ session: TerminalSession; sub: Subscriber }> {
    const k = keyString(key);
    // No await before `starting` is set below, or two sockets arriving together would both start a shell.
    const inflight = this.starting.get(k);
    let session = this.get(key) ?? (inflight ? await inflight : undefined);
    if (!session) {
      if (role === 'follower') throw new Error('there is no terminal session to follow');
      const id = randomBytes(8).toString('hex');
      const pending = (async () => this.adopt(key, id, await open(id)))();
      this.starting.set(k, pending);
      try {
        session = await pending;
      } finally {
        this.starting.delete(k);
      }
    }
    return { session, sub: session.attach(sink, role) };
  }

  /** Registers a session on a shell that already runs (started above, or found after a restart). */
  adopt(key: SessionKey, id: string, shell: OpenedShell, resumed = false): TerminalSession {
    const k = keyString(key);
    const { pty, replay } = 'pty' in shell ? shell : { pty: shell, replay: '' };
    const created = new TerminalSession(id, key.node, pty, {
      graceMs: this.opts.graceMs,
      replay,
      resumed,
      // Only forget the entry if it still holds this session (a new one may have replaced it).
      onEnd: (s) => {
        if (this.sessions.get(k)?.session === s) this.sessions.delete(k);
      },
    });
    this.sessions.get(k)?.session.kill();
    this.sessions.set(k, { key, session: created });
    return created;
  }

  /** Ends every session of an instance (its lab was reset or taken down), held ones included. */
  async closeInstance(instanceId: string): Promise<void> {
    for (const { key, session } of this.list()) if (key.instanceId === instanceId) session.kill();
    await this.opts.onCloseInstance?.(instanceId);
  }

  closeAll(): void {
    for (const { session } of this.list()) session.kill();
  }

  /** Lets go of every session without ending its shell; held shells wait for the next labd. */
  releaseAll(): void {
    for (const { session } of this.list()) session.release();
  }
}
