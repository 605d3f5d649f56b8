import { readFileSync } from 'node:fs';

/**
 * The fields of /proc/<pid>/stat that labd needs. The command name (field 2) is in parentheses and
 * may itself hold spaces and ')', so the fields are counted from the LAST ')'.
 */
export interface ProcStat {
  state: string;
  /** Field 22, in clock ticks since boot: with the pid it names one process for ever. */ startTime: string;
}

export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const startTime = rest[19];
  return state && startTime ? { state, startTime } : null;
}

/** The stat of a process, or null when there is none (or /proc cannot be read). */
export function procStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** A zombie (Z) or dead (X) process has exited: only its parent has not reaped it yet. */
const exited = (s: ProcStat) => s.state === 'Z' || s.state === 'X';

/** True while `pid` runs (not gone, not a zombie). */
export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  const s = procStat(pid);
  return !!s && !exited(s);
}

/** The start time of a live process, or null when it is gone or a zombie: compare it to tell a pid's reuse. */
export function procStartTime(pid: number): string | null {
  const s = procStat(pid);
  return s && !exited(s) ? s.startTime : null;
}
