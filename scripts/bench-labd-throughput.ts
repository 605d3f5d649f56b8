/**
 * Throughput of labd's terminal path: `cat` of a 50 MiB text file in a real lab, through the pty,
 * labd's recorder and flow control, and the WebSocket, to a client that acks every ACK_CHUNK
 * characters the way the browser does. Reports MiB/s of file content and labd's peak RSS (VmHWM).
 *
 *   node --import tsx scripts/bench-labd-throughput.ts [--mib 50] [--json]
 */
import { readFileSync } from 'node:fs';
import { FlowControl, Op, encodeAck } from '@ebpf-lab/protocol';
import { downAllLabs, learner, startLabd, Term, upLab } from '../apps/labd/src/test-support/labd-harness.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const mib = Number(arg('mib', '50'));
const json = process.argv.includes('--json');

const status = (pid: number, field: string) =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

const labd = await startLabd();
try {
  const { token } = await learner(labd, 'bench');
  await upLab(labd, token);
  const term = await Term.open(labd.url, `?token=${token}`, { ack: false });
  // Ack like the web client: after rendering, in ACK_CHUNK batches, so flow control really engages.
  let pendingAck = 0;
  let received = 0;
  let tail = '';
  let measuring = false;
  let done: () => void = () => {};
  term.ws.on('message', (d: Buffer) => {
    if (d[0] !== Op.Output) return;
    const text = d.toString('utf8', 1);
    pendingAck += text.length;
    if (pendingAck >= FlowControl.ACK_CHUNK) {
      term.ws.send(encodeAck(pendingAck));
      pendingAck = 0;
    }
    if (!measuring) return;
    received += text.length;
    term.frames.length = 0; // the harness records frames; 50 MB of them would measure the client, not labd
    tail = (tail + text).slice(-64);
    if (tail.includes('BENCH-DONE')) done();
  });
  term.type(`head -c ${mib * 1024 * 1024} < <(yes 'the quick brown fox jumps over the lazy dog 0123456789') > big.txt; echo MADE""-IT\r`);
  await term.waitFor(() => term.text().includes('MADE-IT'), 'the file', 60_000);
  const rssBefore = status(labd.proc.pid!, 'VmRSS');
  term.frames.length = 0;
  measuring = true;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const started = performance.now();
  term.type('cat big.txt; echo BENCH""-DONE\r');
  await finished;
  const seconds = (performance.now() - started) / 1000;
  term.frames.length = 0;
  const result = {
    fileMiB: mib,
    seconds: Number(seconds.toFixed(2)),
    mibPerSecond: Number((mib / seconds).toFixed(1)),
    charsReceived: received,
    labdRssBeforeMiB: Number(rssBefore.toFixed(1)),
    labdPeakRssMiB: Number(status(labd.proc.pid!, 'VmHWM').toFixed(1)),
  };
  await term.close();
  if (json) console.log(JSON.stringify(result));
  else
    console.log(
      `cat ${mib} MiB through labd: ${result.seconds} s = ${result.mibPerSecond} MiB/s (${received} chars incl. CRLF); labd RSS ${result.labdRssBeforeMiB} MiB before, peak (VmHWM) ${result.labdPeakRssMiB} MiB`,
    );
} finally {
  await labd.stop();
  downAllLabs(labd.stateDir);
}
