import { spawn } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync, readFileSync, rmSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { run, type RunResult } from '../../proc.ts';

/**
 * How guest programs reach the guest. SshLink is the real one: one ssh master connection per lab
 * (ControlMaster, ControlPersist), made from `vagrant ssh-config`, that every exec and terminal
 * multiplexes over: a command costs a channel on an open connection (~10 ms) instead of a Ruby
 * start-up and a new login (`vagrant ssh -c`, ~2 s). Tests use LocalLink, which runs the same
 * programs with the host's bash.
 */
export interface LinkRunOptions {
  stdin?: string;
  signal?: AbortSignal;
}

export interface GuestLink {
  /** Runs a program; `signal` kills the local client and returns without waiting for the guest. */
  run(program: string, o?: LinkRunOptions): Promise<RunResult>;
  /** argv for node-pty: an interactive program with a terminal. */
  ptyArgv(program: string): [string, string[]];
}

/**
 * The command line the guest's login shell gets. Vagrant logs in as an unprivileged user with
 * passwordless sudo; the program is base64 (a shell-inert alphabet) so no quoting of the
 * learner's command can break out. The program is one argv string on both sides, which Linux
 * caps at 128 KiB (MAX_ARG_STRLEN); larger data goes through stdin.
 */
export function remoteLine(program: string, sudo = true): string {
  const b64 = Buffer.from(program).toString('base64');
  if (b64.length > 120_000)
    throw new Error(`a command of ${program.length} bytes is too long to run in the lab (limit about 90 KB); pass data on stdin instead`);
  return `${sudo ? 'sudo -n ' : ''}/bin/bash -c "$(echo ${b64} | base64 -d)"`;
}

/**
 * `root`: the login is root already (the vm driver's guests), so no sudo per command.
 * `aliveMaxS`: how long the master waits for an unresponsive machine before it gives up (45 s
 * unless set; a vm guest paused on a full host disk answers again once resumed).
 */
export interface SshParams {
  configFile: string;
  controlPath: string;
  host: string;
  logFile: string;
  root?: boolean;
  aliveMaxS?: number;
}

export class SshLink implements GuestLink {
  constructor(readonly p: SshParams) {}

  private base(): string[] {
    return ['-F', this.p.configFile, '-o', `ControlPath=${this.p.controlPath}`, '-o', 'BatchMode=yes'];
  }

  /**
   * Starts the master in the background (`-f` returns once it is logged in), unless one answers
   * on the control socket already. Its stdio goes to a
   * log file, never to pipes: the forked master keeps them open for its whole life, and a
   * reader waiting for EOF on them would wait until `down`.
   */
  async start(timeoutMs = 30_000): Promise<void> {
    if (existsSync(this.p.controlPath)) {
      // A master runs already (a warm pool guest's, or one whose maker died before it was
      // recorded): keep it. A dead one's socket goes: over it, ssh would give up multiplexing and
      // leave a plain connection running in the background instead of a master.
      if ((await run('ssh', [...this.base(), '-O', 'check', this.p.host], { timeoutMs: 10_000 })).code === 0) return;
      rmSync(this.p.controlPath, { force: true });
    }
    const fd = openSync(this.p.logFile, 'a');
    try {
      const code = await new Promise<number>((resolve) => {
        const child = spawn(
          'ssh',
          [
            ...this.base(),
            '-o',
            'ControlMaster=yes',
            '-o',
            'ControlPersist=yes',
            '-o',
            'ServerAliveInterval=15',
            '-o',
            `ServerAliveCountMax=${Math.max(1, Math.round((this.p.aliveMaxS ?? 45) / 15))}`,
            '-o',
            'ConnectTimeout=20',
            '-f',
            '-N',
            this.p.host,
          ],
          { stdio: ['ignore', fd, fd] },
        );
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', () => {
          clearTimeout(timer);
          resolve(127);
        });
        child.on('close', (c) => {
          clearTimeout(timer);
          resolve(c ?? 255);
        });
      });
      if (code !== 0 || !existsSync(this.p.controlPath)) {
        const log = readFileSync(this.p.logFile, 'utf8').trim().split('\n').slice(-5).join(' / ');
        throw new Error(`ssh could not log in to the lab machine (exit ${code})${log ? `: ${log}` : ''}`);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The master may be gone (labd restarted after a reboot, or it timed out): start it again. */
  private async ensure(): Promise<void> {
    if (!existsSync(this.p.controlPath)) await this.start();
  }

  async run(program: string, o: LinkRunOptions = {}): Promise<RunResult> {
    await this.ensure();
    return runClient('ssh', [...this.base(), '-o', 'ControlMaster=no', '-T', this.p.host, remoteLine(program, !this.p.root)], o);
  }

  ptyArgv(program: string): [string, string[]] {
    return ['ssh', [...this.base(), '-o', 'ControlMaster=no', '-t', this.p.host, remoteLine(program, !this.p.root)]];
  }

  /**
   * Forwards a unix socket on this host to one in the guest over the master (OpenSSH's
   * streamlocal forward; the master makes it 0600, labd's user only). Every connection to it is a
   * channel on the open connection: no new session, no login. Whatever is at `local` before is
   * removed, and the result is used only if it is a socket of labd's user, 0600, in a directory
   * no one else can write (ownSocketProblem): so a lost race with another labd process of the
   * same user is success, and a socket someone else made there never is.
   */
  async forward(local: string, remote: string): Promise<void> {
    await this.ensure();
    rmSync(local, { force: true });
    const ask = () => run('ssh', [...this.base(), '-O', 'forward', '-L', `${local}:${remote}`, this.p.host], { timeoutMs: 20_000 });
    let r = await ask();
    if (r.code !== 0 && /Control socket connect/i.test(r.stderr)) {
      // The master died and left its socket (a plain session would fall back to a connection of
      // its own; a forward needs the master): start a new one.
      rmSync(this.p.controlPath, { force: true });
      await this.start();
      r = await ask();
    }
    const bad = ownSocketProblem(local);
    if (r.code !== 0 && bad) throw new Error(`ssh could not forward ${local} to the lab machine's ${remote}: ${r.stderr.trim().slice(-300)}`);
    if (bad) {
      rmSync(local, { force: true });
      throw new Error(
        `labd will not use ${local}: ${bad}. Remove the lab (lab down) and start it again; if the state dir's path is long, its sockets go to a private dir in ${tmpdir()}`,
      );
    }
  }

  /** Ends the master (and with it every session on it). Idempotent. */
  async close(): Promise<void> {
    if (!existsSync(this.p.controlPath)) return;
    await run('ssh', [...this.base(), '-O', 'exit', this.p.host], { timeoutMs: 10_000 });
  }
}

/**
 * Why labd must not connect to the unix socket at `path` (null: it may): it must be a socket of
 * this process's user, readable by no one else, in a directory of this user that no one else can
 * write (else another local user could have made it, or swap it later, and read what labd sends).
 */
export function ownSocketProblem(path: string, uid = process.getuid?.() ?? -1): string | null {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    return `it does not exist (${(e as NodeJS.ErrnoException).code})`;
  }
  if (!st.isSocket()) return 'it is not a socket';
  if (st.uid !== uid) return `it belongs to uid ${st.uid}, not to labd's user (${uid})`;
  if (st.mode & 0o077) return `its mode is ${(st.mode & 0o777).toString(8)}, open to other users`;
  const dir = lstatSync(dirname(path));
  if (dir.uid !== uid || dir.mode & 0o022) return `its directory ${dirname(path)} is writable by other users`;
  return null;
}

/** Runs guest programs on this host: for tests of everything above the transport. */
export class LocalLink implements GuestLink {
  run(program: string, o: LinkRunOptions = {}): Promise<RunResult> {
    return runClient('/bin/bash', ['-c', program], o);
  }

  ptyArgv(program: string): [string, string[]] {
    return ['/bin/bash', ['-c', program]];
  }
}

const MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * Like proc.run, for a client whose pipes may outlive it: a mux client hands its stdin, stdout
 * and stderr to the master, which holds them until the remote command ends. So after an abort
 * this returns once the client itself has exited, not at EOF.
 */
export function runClient(cmd: string, args: string[], o: LinkRunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let aborted = false;
    let settled = false;
    const keep = (buf: string, c: Buffer) => {
      const s = buf + c.toString('utf8');
      return s.length > MAX_OUTPUT ? s.slice(-MAX_OUTPUT) : s;
    };
    child.stdout!.on('data', (c: Buffer) => {
      stdout = keep(stdout, c);
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr = keep(stderr, c);
    });
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', onAbort);
      resolve({ code, stdout, stderr, ms: performance.now() - started, timedOut: aborted });
    };
    const onAbort = () => {
      aborted = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        stderr = `${cmd}: command not found`;
        finish(127);
      } else {
        settled = true;
        reject(e);
      }
    });
    child.on('exit', () => {
      if (!aborted) return;
      // Output already on its way still arrives; then stop waiting for the master's copy of the pipes.
      setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        finish(137);
      }, 200);
    });
    child.on('close', (code, sig) => finish(code ?? (sig ? 137 : 1)));
    child.stdin!.on('error', () => {
      /* the client may exit without reading its input */
    });
    child.stdin!.end(o.stdin ?? '');
  });
}
