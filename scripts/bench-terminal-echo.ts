/**
 * Keystroke echo latency through labd, without a browser: a WebSocket client types one character
 * at a time into a real lab's shell and times each until its echo arrives as Output. This is the
 * path a keystroke takes (WebSocket → labd → terminal holder → pty → bash → back), so it shows
 * what each hop costs. Prints p50/p90/p99 in ms.
 *
 *   node --import tsx scripts/bench-terminal-echo.ts [--keys 400]   (root: it starts a netns lab)
 */
import { Op } from '@ebpf-lab/protocol';
import { downAllLabs, learner, startLabd, Term, upLab } from '../apps/labd/src/test-support/labd-harness.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const KEYS = Number(arg('keys', '400'));
const BATCH = 40; // characters per line, then Ctrl-U, so the line never wraps
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const labd = await startLabd();
try {
  const { token } = await learner(labd, 'bench');
  await upLab(labd, token);
  const term = await Term.open(labd.url, `?token=${token}`, {});
  term.type('echo RE""ADY\r');
  await term.waitFor(() => term.text().includes('READY'), 'the shell', 30_000);
  await new Promise((r) => setTimeout(r, 500));
  let waiting: ((text: string) => void) | null = null;
  term.ws.on('message', (d: Buffer) => {
    if (d[0] === Op.Output && waiting) waiting(d.toString('utf8', 1));
  });
  const samples: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    const ch = String.fromCharCode(97 + (i % 26));
    const t0 = performance.now();
    const echoed = new Promise<void>((resolve) => {
      waiting = (text) => {
        if (text.includes(ch)) {
          waiting = null;
          resolve();
        }
      };
    });
    term.type(ch);
    await echoed;
    samples.push(performance.now() - t0);
    if (i % BATCH === BATCH - 1) {
      term.type('\x15'); // Ctrl-U: clear the line
      await new Promise((r) => setTimeout(r, 50));
    }
    term.frames.length = 0;
  }
  await term.close();
  const f = (x: number) => Number(x.toFixed(3));
  console.log(JSON.stringify({ keys: KEYS, p50ms: f(pct(samples, 50)), p90ms: f(pct(samples, 90)), p99ms: f(pct(samples, 99)) }));
} finally {
  await labd.stop();
  downAllLabs(labd.stateDir);
}
