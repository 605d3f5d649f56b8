import { connect } from 'node:net';

export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
}

/**
 * Runs QMP commands on a QEMU's monitor socket, one after another on one short connection, and
 * returns their results. QEMU serves one monitor client at a time (others wait in its backlog), so
 * nothing here keeps the connection: `lab list` and labd's watcher take turns. Events are skipped.
 */
export function qmp(path: string, cmds: QmpCommand[], timeoutMs = 10_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const queue: QmpCommand[] = [{ execute: 'qmp_capabilities' }, ...cmds];
    const results: unknown[] = [];
    let current: QmpCommand | undefined;
    let buf = '';
    let settled = false;
    const end = (e: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (e) reject(e);
      else resolve(results.slice(1));
    };
    const timer = setTimeout(() => end(new Error(`QEMU's monitor ${path} did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
    const next = () => {
      current = queue.shift();
      if (!current) return end(null);
      sock.write(`${JSON.stringify(current)}\n`);
    };
    sock.on('error', (e) => end(new Error(`QEMU's monitor ${path}: ${e.message}`)));
    sock.on('close', () => end(new Error(`QEMU's monitor ${path} closed the connection`)));
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => {
      buf += c;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        let m: { QMP?: unknown; event?: string; return?: unknown; error?: { desc?: string } };
        try {
          m = JSON.parse(line) as typeof m;
        } catch {
          return end(new Error(`QEMU's monitor ${path} sent something that is not JSON: ${line.slice(0, 80)}`));
        }
        // A throw here would be uncaught (a socket handler) and end labd: refuse anything but an object.
        if (m === null || typeof m !== 'object') return end(new Error(`QEMU's monitor ${path} sent ${line.slice(0, 80)}, not a QMP message`));
        if (m.QMP) next();
        else if (m.event) continue;
        else if (m.error) return end(new Error(`QMP ${current?.execute}: ${m.error.desc ?? JSON.stringify(m.error)}`));
        else if ('return' in m) {
          results.push(m.return);
          next();
        }
      }
      // QMP messages are short lines; a monitor that never ends one is not QEMU's.
      if (buf.length > 1 << 20) return end(new Error(`QEMU's monitor ${path} sent over 1 MiB without a line end`));
    });
  });
}
