/**
 * Server share of an echo, seen at the loopback wire: tcpdump reports every packet with data to
 * the given server ports, and for each connection a client packet is paired with the server's
 * next packet when no other client packet came between them (a keystroke and its echo; a client
 * Ack, which gets no answer, is dropped by the next keystroke). What remains of a browser echo is
 * the browser's own share (renderer ↔ network service ↔ socket), alike for any server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface WireCapture {
  /** Server time in ms (server reply − client packet), per server port. */
  rtts(port: number): number[];
  stop(): Promise<void>;
}

const LINE = /^(\d+\.\d+) IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): .* length (\d+)/;

export async function captureWire(ports: number[]): Promise<WireCapture> {
  const filter = ports.map((p) => `tcp port ${p}`).join(' or ');
  const td: ChildProcess = spawn('tcpdump', ['-i', 'lo', '-n', '-tt', '-l', `(${filter}) and (tcp[tcpflags] & tcp-push != 0)`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  td.stderr!.on('data', (c: Buffer) => {
    err += c;
  });
  const failed = new Promise<never>((_, reject) => {
    td.once('error', (e) => reject(new Error(`tcpdump: ${e.message} (install it: apt-get install tcpdump)`)));
    td.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err.trim().slice(-300)}`)));
  });
  failed.catch(() => {});
  const byPort = new Map<number, number[]>(ports.map((p) => [p, []]));
  const pending = new Map<string, number>(); // connection → time of the client's unanswered packet
  createInterface({ input: td.stdout! }).on('line', (line) => {
    const m = LINE.exec(line);
    if (!m || Number(m[4]) === 0) return;
    const t = Number(m[1]) * 1000;
    const src = Number(m[2]);
    const dst = Number(m[3]);
    if (byPort.has(dst)) {
      pending.set(`${src}>${dst}`, t);
    } else if (byPort.has(src)) {
      const key = `${dst}>${src}`;
      const t0 = pending.get(key);
      if (t0 !== undefined) {
        pending.delete(key);
        if (t - t0 < 1000) byPort.get(src)!.push(t - t0);
      }
    }
  });
  // tcpdump says "listening on lo" once it captures.
  await Promise.race([
    failed,
    new Promise<void>((resolve) => {
      const check = () => (err.includes('listening on') ? resolve() : setTimeout(check, 50));
      check();
    }),
  ]);
  return {
    rtts: (port) => [...(byPort.get(port) ?? [])],
    stop: async () => {
      if (td.exitCode !== null) return;
      const gone = new Promise<void>((r) => td.once('exit', () => r()));
      td.kill('SIGINT');
      await gone;
    },
  };
}
