// Kept apart from protocol.ts so the check child (child.ts) does not load zod: it only splits lines.

/**
 * Splits a byte stream into lines, calling `onLine` for each; `onOverflow` when a line grows past
 * `max` without a newline (then nothing more is delivered), so a runaway writer cannot fill memory.
 */
export function lineSplitter(max: number, onLine: (line: string) => void, onOverflow: () => void): (chunk: Buffer) => void {
  let buf = '';
  let dead = false;
  return (chunk) => {
    if (dead) return;
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.length > max) { dead = true; onOverflow(); return; }
      if (line.trim()) onLine(line);
    }
    if (buf.length > max) { dead = true; onOverflow(); }
  };
}
