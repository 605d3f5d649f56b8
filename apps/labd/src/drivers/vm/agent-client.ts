import { connect } from 'node:net';
import type { LabExecResult } from '../types.ts';
import { endCode, FrameReader, MalformedReply } from './agent-frames.ts';
import { AGENT_GREETING } from './guest-agent.ts';

/** How labd reaches a guest's exec agent (guest-agent.ts); tests run the agent on the host. */
export interface AgentTransport {
  /** Host path to connect to: the SSH master's forward of the guest's socket (or the socket itself). */
  readonly socketPath: string;
  /** The path is missing or refuses (the master that forwarded it is gone): make it again. */
  reconnect(): Promise<void>;
  /** Nothing answers behind the path: start the agent. Throws AgentUnavailable if it cannot run there. */
  startAgent(): Promise<void>;
}

/** The guest cannot run the agent at all (no python3): the caller falls back to a session per exec. */
export class AgentUnavailable extends Error {}

export interface AgentRequest {
  cmd: string;
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  /** The host's limit; the agent gets 5 s more of its own (for a host that went away). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** How long to wait for the end after asking the agent to kill (default 5 s); then give up locally. */
  graceMs?: number;
}

const MAX_OUTPUT = 4 * 1024 * 1024;

type Attempt = { kind: 'result'; r: LabExecResult } | { kind: 'refused'; why: string } | { kind: 'silent' };

/** One repair at a time per socket path in this process: concurrent execs wait for it, not redo it. */
const repairs = new Map<string, Promise<void>>();

function repair(path: string, fix: () => Promise<void>): Promise<void> {
  let p = repairs.get(path);
  if (!p) {
    p = fix().finally(() => repairs.delete(path));
    repairs.set(path, p);
  }
  return p;
}

/**
 * Runs one command through the agent. A path that refuses is remade and a silent agent started,
 * then the command is sent again (nothing of it ran: the agent greets before it reads). An agent
 * that dies after the greeting fails this exec with an error saying so; the next exec starts a
 * new agent, which kills what the dead one left running.
 */
export async function agentExec(t: AgentTransport, req: AgentRequest): Promise<LabExecResult> {
  for (const [k, v] of Object.entries(req.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`"${k}" is not a valid environment variable name`);
    if (v.includes('\0')) throw new Error(`a NUL byte cannot be passed to the lab (in ${k})`);
  }
  if (req.cmd.includes('\0')) throw new Error('a NUL byte cannot be passed to the lab');
  // The agent reads the request line up to 1 MiB; data belongs on stdin.
  if (Buffer.byteLength(req.cmd) > 900_000)
    throw new Error(`a command of ${Buffer.byteLength(req.cmd)} bytes is too long to run in the lab (limit about 900 KB); pass data on stdin instead`);
  const started = performance.now();
  const deadline = req.timeoutMs ? started + req.timeoutMs : 0;
  let why = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const a = await once(t.socketPath, req, deadline);
    if (a.kind === 'result') return { ...a.r, ms: performance.now() - started };
    if ((deadline && performance.now() >= deadline) || req.signal?.aborted)
      return { code: 137, stdout: '', stderr: '', ms: performance.now() - started, timedOut: true };
    why = a.kind === 'refused' ? `${t.socketPath}: ${a.why}` : 'the agent does not answer';
    await repair(t.socketPath, a.kind === 'refused' ? () => t.reconnect() : () => t.startAgent());
  }
  throw new Error(`the lab machine's command runner cannot be reached (${why}); the lab may have stopped: check it with lab list`);
}

/** The last `max` bytes of a stream, decoded once at the end (chunks may split a UTF-8 character). */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max = MAX_OUTPUT) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - this.chunks[0]!.length >= this.max) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

function once(path: string, req: AgentRequest, deadline: number): Promise<Attempt> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const out = new Tail();
    const err = new Tail();
    const frames = new FrameReader();
    let greeted = false;
    let settled = false;
    let killed = false;
    let lastResort: NodeJS.Timeout | undefined;
    const result = (code: number): LabExecResult => ({ code, stdout: out.text(), stderr: err.text(), ms: performance.now() - started, timedOut: killed });
    const done = (a: Attempt | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(lastResort);
      req.signal?.removeEventListener('abort', stop);
      sock.destroy();
      if (a instanceof Error) reject(a);
      else resolve(a);
    };
    // Asks the agent to kill the command's process group; it then answers with the end as usual.
    const stop = () => {
      if (killed || settled) return;
      killed = true;
      if (!sock.destroyed) sock.write('K');
      lastResort = setTimeout(() => done({ kind: 'result', r: result(137) }), req.graceMs ?? 5000);
    };
    const left = deadline ? deadline - performance.now() : 0;
    const timer = deadline ? setTimeout(stop, Math.max(0, left)) : undefined;
    req.signal?.addEventListener('abort', stop, { once: true });

    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (greeted) return; // 'close' follows and says what it means
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') done({ kind: 'refused', why: e.code });
    });
    sock.on('close', () => {
      if (settled) return;
      // Killed and no answer: the guest is gone or stopped; as the ssh path, report the timeout.
      if (killed) return done({ kind: 'result', r: result(137) });
      if (!greeted) return done({ kind: 'silent' });
      done(
        new Error(
          "the lab machine's command runner stopped while running the command (killed in the lab?); " +
            'the command may have done part of its work. The next command starts a new runner: run it again',
        ),
      );
    });
    // Everything from the guest is untrusted (the learner is root there): a throw in this handler
    // would be an uncaught exception that ends labd for every lab, so any surprise fails this exec.
    sock.on('data', (c: Buffer) => {
      if (settled) return;
      try {
        frames.push(c);
        if (!greeted) {
          const g = frames.peek(AGENT_GREETING.length);
          if (!g) return;
          if (g.toString('latin1') !== AGENT_GREETING) {
            return done(new Error(`the lab machine's command socket answered something else: ${JSON.stringify(g.subarray(0, 40).toString('latin1'))}`));
          }
          greeted = true;
          frames.take(AGENT_GREETING.length);
        }
        for (let f = frames.next(); f; f = frames.next()) {
          if (f.type === 'o') out.push(f.body);
          else if (f.type === 'e') err.push(f.body);
          else if (f.type === 'x') return done({ kind: 'result', r: result(endCode(f.body)) });
          else return done(new Error(`the lab machine's command runner could not run the command: ${f.body.subarray(0, 2000).toString()}`));
        }
      } catch (e) {
        done(e instanceof MalformedReply ? e : new MalformedReply((e as Error).message));
      }
    });
    const stdin = Buffer.from(req.stdin ?? '');
    const head = { cmd: req.cmd, cwd: req.cwd, env: req.env, timeoutS: req.timeoutMs ? Math.ceil(req.timeoutMs / 1000) + 5 : 0, stdinLen: stdin.length };
    // Written at once (node queues it until connected): no round trip waits for the greeting.
    sock.write(`${JSON.stringify(head)}\n`);
    if (stdin.length) sock.write(stdin);
    if (req.signal?.aborted) stop();
  });
}
