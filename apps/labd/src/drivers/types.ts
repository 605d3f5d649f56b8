import type { DriverName, LoadedLab } from '@ebpf-lab/lab-spec';
import type { ExecResult } from '@ebpf-lab/check-sdk';

// Progress events travel to the browser as they are (GET /v1/lab/events): the contract defines them.
import type { Progress } from '@ebpf-lab/api';
export type { Progress };
export type OnProgress = (p: Progress) => void;

export interface ExecOptions {
  /** Node (or pod) to run on; the lab's first node when omitted. */
  node?: string;
  timeoutMs?: number;
  stdin?: string;
  signal?: AbortSignal;
  env?: Record<string, string>;
}

export interface LabExecResult extends ExecResult {
  timedOut: boolean;
}

/** The subset of node-pty's IPty that sessions rely on, so drivers may wrap other transports. */
export interface Pty {
  readonly pid: number;
  onData(cb: (data: string) => void): { dispose(): void };
  onExit(cb: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
  write(data: string): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  kill(signal?: string): void;
  /** Lets go of the pty without ending the shell, when something else holds it (a terminal holder). */
  detach?(): void;
}

/**
 * How to start a lab's interactive shell: the program, its arguments, environment and working
 * directory. A plain description rather than a live pty, so the process that spawns it can be a
 * terminal holder that outlives labd (see sessions/holder/).
 */
export interface ShellCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** What every driver persists so a later process (CLI call, restarted labd) can reattach. */
export interface InstanceState {
  id: string;
  labId: string;
  driver: DriverName;
  createdAt: string;
  /** Host path of the lab workdir (files the editor may open). */
  workdir: string;
  /** The first entry is the default node. */
  nodes: string[];
  /** Driver-specific details (netns names, pids, ssh config, kube context…). */
  driverState: Record<string, unknown>;
}

export interface LabInstance {
  readonly state: InstanceState;
  /**
   * How many times slower than the host commands run here (an emulated guest: several); checks
   * and lab scripts get their time limits multiplied by it. 1 when absent.
   */
  readonly timeScale?: number;
  exec(cmd: string, opts?: ExecOptions): Promise<LabExecResult>;
  /** The command of an interactive shell on a node; spawn it with spawnShell (drivers/shell.ts). */
  shellCommand(opts: { node?: string }): ShellCommand;
  /** Paths are relative to the workdir; anything resolving outside it (.., symlinks) is refused. */
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: Buffer | string): Promise<void>;
  /** Host pids of the lab's processes, for telling this lab's BPF programs from others'. */
  pids(): Promise<Set<number>>;
  /** Whether what holds the lab (namespace holder, VM, cluster) is still there. */
  alive(): Promise<boolean>;
  /**
   * Why a live lab cannot run right now, as one message naming the fix (a vm guest paused because
   * its host disk is full); null when it can. Absent: never.
   */
  problem?(): Promise<string | null>;
  /** Idempotent; leaves nothing behind. */
  down(): Promise<void>;
}

export interface CapabilityReport {
  ok: boolean;
  /** Each missing thing with the fix a user can type. */
  missing: { what: string; fix: string }[];
}

/** Whether a driver can run a lab's shape (topology) at all; `why` and `fix` say what to do if not. */
export type Support = { ok: true } | { ok: false; why: string; fix: string };

export interface ReapReport {
  removed: string[];
  kept: string[];
  errors: string[];
}

export interface LabDriver {
  readonly name: DriverName;
  /** Can this driver run here at all (privileges, tools)? Cheap: called on every `up`. */
  preflight(): Promise<CapabilityReport>;
  /**
   * Can this driver run this lab's topology? Pure and cheap: checked before any `up` and in the
   * driver picker. Every real driver has it; absent (a test's stand-in) means any lab.
   */
  supports?(lab: LoadedLab): Support;
  up(lab: LoadedLab, onProgress?: OnProgress): Promise<LabInstance>;
  attach(state: InstanceState): LabInstance;
  /** Removes leftovers of instances that are no longer alive (all of them with `all`). */
  reap(opts: { all: boolean }): Promise<ReapReport>;
}
