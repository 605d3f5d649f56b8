import * as pty from 'node-pty';
import type { Pty, ShellCommand } from './types.ts';

/** Spawns a driver's shell command on a pty of the given size (`lab shell`, the terminal holder). */
export function spawnShell(cmd: ShellCommand, size: { cols: number; rows: number }): Pty {
  return pty.spawn(cmd.file, cmd.args, { name: 'xterm-256color', cols: size.cols, rows: size.rows, cwd: cmd.cwd, env: cmd.env });
}
