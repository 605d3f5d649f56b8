/**
 * What the class benches (bench-class-load.ts against labd, bench-class-web.ts through the web)
 * share to time N terminals at once: the tail of one terminal WebSocket's output with waiters for
 * a string in it (no O(n²) re-joins of the whole output), and the echo rounds each learner types.
 */
import type WebSocket from 'ws';
import { decodeFrame, Op } from '@ebpf-lab/protocol';

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class OutputTail {
  /** The last 4000 characters of Output and Replay. */
  text = '';
  private waiters: { s: string; resolve: () => void }[] = [];
  constructor(ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      const f = decodeFrame(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      if (f.op !== Op.Output && f.op !== Op.Replay) return;
      this.text = (this.text + f.text).slice(-4000);
      this.waiters = this.waiters.filter((w) => (this.text.includes(w.s) ? (w.resolve(), false) : true));
    });
  }

  /** Resolves once the tail holds `s` (a RegExp is matched without colour codes, polled). */
  until(s: string | RegExp, ms: number): Promise<void> {
    const test = () => (typeof s === 'string' ? this.text.includes(s) : s.test(stripAnsi(this.text)));
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${String(s)} within ${ms} ms; tail: ${JSON.stringify(this.text.slice(-200))}`)), ms);
      if (typeof s === 'string')
        this.waiters.push({
          s,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      else {
        const iv = setInterval(() => {
          if (test()) {
            clearInterval(iv);
            clearTimeout(timer);
            resolve();
          }
        }, 20);
      }
    });
  }
}

/**
 * Echo latency as a person types: `rounds` times a marker unique to learner `who` (no Enter),
 * timed until its echo shows in `tail`, then ^U clears the line and a 50-250 ms pause. Each
 * round's milliseconds go into `lat`.
 */
export async function echoRounds(type: (s: string) => void, tail: OutputTail, who: number, rounds: number, lat: number[], timeoutMs: number): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const marker = `mk${who}q${r}z${Math.random().toString(36).slice(2, 8)}`;
    const s = performance.now();
    type(marker);
    await tail.until(marker, timeoutMs);
    lat.push(performance.now() - s);
    type('\x15');
    await sleep(50 + Math.random() * 200);
  }
}
