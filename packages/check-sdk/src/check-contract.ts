/**
 * The check contract. `fail` means the learner has not done the step yet; `error` means the check
 * itself broke (timeout, missing tool, crash) and must never be shown as the learner's fault.
 */
export type CheckStatus = 'pass' | 'fail' | 'error';

export interface CheckOutcome {
  status: CheckStatus;
  message: string;
  expected?: string;
  actual?: string;
}

export interface CheckResult extends CheckOutcome {
  lab: string;
  step: string;
  ms: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** What a `check.ts` receives. Everything runs inside the learner's lab, never on the bare host. */
export interface CheckContext {
  labId: string;
  instanceId: string;
  stepId: string;
  /** Run a shell command inside the lab (default node) with the lab workdir as cwd. */
  exec(cmd: string, opts?: { node?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** Run a command and parse its stdout as JSON (for `bpftool -j`, `ip -j`); throws on bad JSON. */
  json<T = unknown>(cmd: string, opts?: { node?: string; timeoutMs?: number }): Promise<T>;
  readFile(path: string): Promise<string | null>;
  /**
   * How many times slower than the host this lab runs: 1 on netns, 4 or more in an emulated (TCG)
   * guest, more on a loaded host. Step and exec limits are scaled already; a check scales its own
   * waits inside the lab with it (curl --max-time), or a slow guest reads as dropped packets.
   */
  timeScale?: number;
  /**
   * Pids of every process that belongs to this lab, as the lab's own commands see them (its PID
   * namespace for netns, the VM's for vagrant), so `ctx.exec('cat /proc/PID/…')` and
   * `bpftool perf show` pids match; checks use them to tell the lab's programs from others'.
   */
  labPids(): Promise<Set<number>>;
  /**
   * 'grade' when `lab grade` runs the check on a submission: the learner's files were copied into a
   * fresh lab and grade.sh rebuilt what it could, so evidence of state that lived only in their own
   * session (a map dump) can no longer be compared with it. Set by labd, never by the learner.
   */
  mode?: 'live' | 'grade';
  signal: AbortSignal;
}

export type CheckFunction = (ctx: CheckContext) => Promise<CheckOutcome>;
