/**
 * What keeps the lesson page's main thread busy while someone types: a CPU profile (CDP Profiler)
 * of the page during N keystrokes into a real lab's terminal, summed by function (self time), with
 * the probe's echo/paint figures. A tool for finding latency, not a test.
 *   node --import tsx scripts/profile-terminal.ts [--keys 80] [--top 25]   (root: starts a netns lab)
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { launchChromium } from '../apps/web/e2e/browser.ts';
import { downLabs, freePort, serviceTokenFile, startLabd, startWeb, tempStateDir } from '../apps/web/e2e/harness.ts';
import { ECHO_PROBE, pct, summary, typeAndTime } from './lib/echo-probe.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const KEYS = arg('keys', 80);
const TOP = arg('top', 25);

interface ProfNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { data?: { type?: string } };
}
const mostCommon = (xs: string[]) => {
  const c = new Map<string, number>();
  for (const x of xs) c.set(x, (c.get(x) ?? 0) + 1);
  return [...c].sort((a, b) => b[1] - a[1])[0]?.[0];
};
/** For a few keystrokes: every main-thread task from the keydown to the echo's message event, and what filled it. */
function timeline(evs: TraceEvent[]): void {
  const keydowns = evs.filter((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'keydown');
  for (const k of keydowns.slice(10, 16)) {
    const msg = evs.find((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'message' && e.ts > k.ts);
    if (!msg) continue;
    console.log(`keydown → message ${((msg.ts - k.ts) / 1000).toFixed(1)} ms`);
    const inWindow = evs.filter((e) => e.ph === 'X' && e.ts >= k.ts - 2000 && e.ts <= msg.ts + 20_000 && (e.dur ?? 0) > 150).sort((a, b) => a.ts - b.ts);
    for (const e of inWindow)
      console.log(
        `  +${((e.ts - k.ts) / 1000).toFixed(1).padStart(6)} ${((e.dur ?? 0) / 1000).toFixed(2).padStart(6)} ms ${e.name}${e.args?.data?.type ? ` (${e.args.data.type})` : ''}`,
      );
  }
}
interface Profile {
  nodes: ProfNode[];
  samples: number[];
  timeDeltas: number[];
}

const stateDir = tempStateDir();
const port = await freePort();
const labd = await startLabd(stateDir, `http://127.0.0.1:${port}`);
const web = await startWeb({ ELAB_LABD_URL: labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(stateDir) }, port);
const extra = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--chromium-arg' ? [a] : []));
const browser = await launchChromium({ width: 1400, height: 900 }, extra);
try {
  const page = await browser.context.newPage();
  await page.addInitScript(ECHO_PROBE);
  await page.goto(`${web.url}/en/hello-ebpf`);
  await page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 120_000 });
  await page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
  await typeAndTime(page, 20); // warm up
  // --tcpdump FILE: the loopback packets of the web and labd ports, to see which hop holds an echo.
  const dumpAt = process.argv.indexOf('--tcpdump');
  const dump =
    dumpAt > 0
      ? spawn('tcpdump', ['-i', 'lo', '-n', '-tt', '-l', '-w', process.argv[dumpAt + 1]!, `tcp port ${port} or tcp port ${new URL(labd.url).port}`], {
          stdio: 'ignore',
        })
      : null;
  if (dump) await new Promise((r) => setTimeout(r, 1000));
  const cdp = await page.context().newCDPSession(page);
  // The network service's own send/receive times: what the wire took, apart from the page.
  const wire: { t: number; dir: 'sent' | 'recv' }[] = [];
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketFrameSent', (e: { timestamp: number }) => wire.push({ t: e.timestamp * 1000, dir: 'sent' }));
  cdp.on('Network.webSocketFrameReceived', (e: { timestamp: number }) => wire.push({ t: e.timestamp * 1000, dir: 'recv' }));
  await cdp.send('Performance.enable');
  const metrics = async () =>
    Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.map((m) => [m.name, m.value]));
  const m0 = await metrics();
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  // A timeline trace alongside: the native work (style, layout, paint, raster) the JS profile lumps into "(program)".
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (d) => {
    events.push(...(d.value as unknown as TraceEvent[]));
  });
  const traced = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
  const s = await typeAndTime(page, KEYS);
  await cdp.send('Tracing.end');
  await traced;
  dump?.kill('SIGINT');
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
  // Complete events on the renderer's main thread (the one running RunTask with V8 work), summed by name.
  const mainTid = mostCommon(events.filter((e) => e.name === 'FunctionCall' || e.name === 'EventDispatch').map((e) => `${e.pid}:${e.tid}`));
  const byName = new Map<string, { ms: number; n: number }>();
  for (const e of events) {
    if (e.ph !== 'X' || `${e.pid}:${e.tid}` !== mainTid || e.dur === undefined) continue;
    const v = byName.get(e.name) ?? { ms: 0, n: 0 };
    v.ms += e.dur / 1000;
    v.n++;
    byName.set(e.name, v);
  }
  const save = process.argv.indexOf('--save');
  if (save > 0) writeFileSync(process.argv[save + 1]!, JSON.stringify({ traceEvents: events }));
  if (process.argv.includes('--timeline')) timeline(events.filter((e) => `${e.pid}:${e.tid}` === mainTid));
  console.log('main-thread trace events (ms per key, count per key):');
  for (const [k, v] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, TOP))
    console.log(`${(v.ms / KEYS).toFixed(2).padStart(7)}  ×${(v.n / KEYS).toFixed(1).padStart(5)}  ${k}`);
  const m1 = await metrics();
  console.log(JSON.stringify(summary(s)));
  const rtt: number[] = [];
  wire.forEach((w, i) => {
    if (w.dir === 'sent') {
      const r = wire.slice(i + 1).find((x) => x.dir === 'recv');
      if (r) rtt.push(r.t - w.t);
    }
  });
  console.log(`network service: sent → next frame received p50 ${pct(rtt, 50).toFixed(1)} ms p99 ${pct(rtt, 99).toFixed(1)} ms (${rtt.length})`);
  // Rendering work per key (style, layout) and how many times it ran: native time the JS profile shows as "(program)".
  const per = (k: string, scale = 1) => (((m1[k]! - m0[k]!) * scale) / KEYS).toFixed(2);
  console.log(
    `per key: RecalcStyle ${per('RecalcStyleDuration', 1000)} ms ×${per('RecalcStyleCount')}, Layout ${per('LayoutDuration', 1000)} ms ×${per('LayoutCount')}, Script ${per('ScriptDuration', 1000)} ms, Task ${per('TaskDuration', 1000)} ms, Nodes ${m1.Nodes}`,
  );
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber}`;
    const dt = profile.timeDeltas[i]! / 1000;
    total += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  console.log(`profiled ${total.toFixed(0)} ms over ${KEYS} keys; self time by function (ms per key):`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${(v / KEYS).toFixed(2).padStart(7)}  ${k}`);
} finally {
  await browser.close();
  await web.stop();
  await labd.stop();
  downLabs(stateDir);
}
