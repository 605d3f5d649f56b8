/**
 * Bash programs that run inside the guest as root. They are plain text, so tests run them with a
 * local bash; in a lab they travel base64-encoded through the one SSH connection (see ssh-link.ts).
 */

/** Single-quotes a string for bash; every byte but NUL survives. */
export function shq(s: string): string {
  if (s.includes('\0')) throw new Error('a NUL byte cannot be passed to the lab');
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function exportLine(env: Record<string, string>): string {
  const parts = Object.entries(env).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`"${k}" is not a valid environment variable name`);
    return `${k}=${shq(v)}`;
  });
  return parts.length ? `export ${parts.join(' ')}` : ':';
}

/** Where a running command's process group is recorded, so a host-side timeout can kill it. */
export const GUEST_PID_DIR = '/run/ebpf-lab-exec';

export interface GuestCommand {
  cwd: string;
  env: Record<string, string>;
  cmd: string;
  /** Guest-side limit in seconds (0: none). The host kills the command earlier itself. */
  timeoutS: number;
  /** Names the pid file of this run. */
  token: string;
  pidDir?: string;
}

/**
 * Runs `cmd` with bash in `cwd`. `timeout` makes the command a process group of its own (its
 * pid is recorded), so killProgram() can end everything it started, and the guest ends it by
 * itself if the host side is gone. Stdin is passed on explicitly: a background job would
 * otherwise read /dev/null. Processes the command leaves in the background (a loader started
 * with nohup … &) keep running after it exits: labs rely on that.
 */
export function execProgram(c: GuestCommand): string {
  if (!/^[\w-]+$/.test(c.token)) throw new Error(`bad exec token "${c.token}"`);
  const pidFile = `${c.pidDir ?? GUEST_PID_DIR}/${c.token}`;
  return [
    exportLine(c.env),
    // `[ -d ] ||`: a test instead of a mkdir per exec, since a fork costs ~30x more in an emulated guest.
    `{ [ -d ${shq(c.cwd)} ] || mkdir -p -- ${shq(c.cwd)}; } && cd -- ${shq(c.cwd)} || exit 125`,
    `[ -d ${shq(c.pidDir ?? GUEST_PID_DIR)} ] || mkdir -p -- ${shq(c.pidDir ?? GUEST_PID_DIR)}`,
    `timeout -s KILL ${Math.max(0, Math.ceil(c.timeoutS))} /bin/bash -c ${shq(c.cmd)} <&0 &`,
    `echo $! > ${shq(pidFile)}`,
    'wait $!; rc=$?',
    `rm -f -- ${shq(pidFile)}`,
    'exit $rc',
  ].join('\n');
}

/** Kills the process group of a run of execProgram() that is still going; a no-op otherwise. */
export function killProgram(token: string, pidDir = GUEST_PID_DIR): string {
  const f = shq(`${pidDir}/${token}`);
  return `if [ -s ${f} ]; then kill -KILL -- "-$(cat ${f})" 2>/dev/null; rm -f -- ${f}; fi; exit 0`;
}

/** An interactive root login shell in the workdir, with the lab's environment (`via`: e.g. lab-on MEMBER). */
export function shellProgram(cwd: string, env: Record<string, string>, via = ''): string {
  return [exportLine(env), `mkdir -p -- ${shq(cwd)} && cd -- ${shq(cwd)}`, `exec ${via}/bin/bash --login`].join('\n');
}

/** Every pid in the guest's pid namespace, as the guest numbers them (what /proc/<pid>/fdinfo needs). */
export const PIDS_PROGRAM = 'for p in /proc/[0-9]*; do echo "${p#/proc/}"; done';
