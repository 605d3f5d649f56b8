// A class of N learners (default 30) against the real labd: N netns labs of hello-ebpf and N open
// terminals through labd's WebSocket, the instructor's room watching, then the class ends.
// Measures: time to bring up all labs and all prompts, echo latency (a unique marker typed into
// every terminal at once, timed until the pty echoes it), labd's RSS, roster cost, and the reap.
// Usage (root): node --import tsx scripts/bench-class-load.ts [learners=30] [rounds=20]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labCgroupBase } from '../apps/labd/src/drivers/netns/cgroup.ts';
import { call, downAllLabs, startLabd, Term } from '../apps/labd/src/test-support/labd-harness.ts';
import { SseReader } from '../apps/labd/src/classes/sse-reader.ts';
import { pct } from './lib/echo-probe.ts';
import { echoRounds, OutputTail } from './lib/output-tail.ts';

const N = Number(process.argv[2] ?? 30);
const ROUNDS = Number(process.argv[3] ?? 20);
const PROMPT = /lab:\S*:.*# $/;

if (process.getuid?.() !== 0) {
  console.error('bench-class-load: needs root (netns labs)');
  process.exit(2);
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const labd = await startLabd();
const pid = labd.proc.pid!;
const rss: number[] = [];
const sampler = setInterval(() => {
  try {
    rss.push(rssMiB(pid));
  } catch {
    /* exited */
  }
}, 250);
const instructor = readFileSync(join(labd.stateDir, 'instructor-token'), 'utf8').trim();
let instances: string[] = [];
try {
  const rssIdle = rssMiB(pid);
  const cls = (
    await call(labd.url, 'POST', '/v1/classes', instructor, { name: `load ${N}`, lessons: [{ slug: 'hello-ebpf', title: 'Hello eBPF', labId: 'hello-ebpf' }] })
  ).body;
  const learners = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const j = await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code: cls.code, displayName: `learner-${i + 1}` });
      const t = await call(labd.url, 'POST', '/v1/tokens', labd.serviceToken, { learnerId: j.body.learnerId, labId: 'hello-ebpf' });
      return { id: j.body.learnerId as string, token: t.body.token as string };
    }),
  );
  const room = await SseReader.open(`${labd.url}/v1/classes/events?class=${cls.classId}`, instructor);

  // Everyone opens the lesson at once: the lab starts, then the terminal attaches and shows a prompt.
  const t0 = performance.now();
  const t0Wall = Date.now();
  const labReady: number[] = [];
  const promptAt: number[] = [];
  const terms = await Promise.all(
    learners.map(async (l) => {
      const start = await call(labd.url, 'POST', '/v1/lab', l.token);
      if (start.status !== 200) throw new Error(`POST /v1/lab: ${start.status} ${start.text}`);
      const ev = await call(labd.url, 'GET', '/v1/lab/events', l.token);
      if (!ev.text.includes('"phase":"ready"')) throw new Error(`lab not ready: ${ev.text.slice(-300)}`);
      labReady.push(performance.now() - t0);
      const t = await Term.open(labd.url, `?token=${l.token}&cols=120&rows=30`, {});
      const tail = new OutputTail(t.ws);
      await tail.until(PROMPT, 30_000);
      promptAt.push(performance.now() - t0);
      return { t, tail };
    }),
  );
  const upAll = Math.max(...promptAt);
  const rosterReady = await room.waitFor(
    (e) =>
      e.event === 'roster' &&
      e.data.learners.length === N &&
      e.data.learners.every((l: { lab: { state: string }; terminal: boolean }) => l.lab.state === 'ready' && l.terminal),
    'all ready in the room',
    10_000,
  );
  const rssUp = rssMiB(pid);
  instances = (await call(labd.url, 'GET', `/v1/classes/roster?class=${cls.classId}`, instructor)).body.learners.map(
    (l: { lab: { instanceId: string } }) => l.lab.instanceId,
  );

  // Echo latency: every terminal types a unique marker (no Enter), waits for the echo, clears the
  // line with ^U and pauses 50–250 ms like a person; all N at the same time.
  const lat: number[] = [];
  const e0 = performance.now();
  await Promise.all(terms.map(({ t, tail }, i) => echoRounds((s) => t.type(s), tail, i, ROUNDS, lat, 10_000)));
  const echoSecs = (performance.now() - e0) / 1000;
  const rssPeak = Math.max(...rss);

  const r0 = performance.now();
  for (let i = 0; i < 10; i++) await call(labd.url, 'GET', `/v1/classes/roster?class=${cls.classId}`, instructor);
  const rosterMs = (performance.now() - r0) / 10;

  // The end of the class: every lab reaped.
  const d0 = performance.now();
  const end = await call(labd.url, 'POST', '/v1/classes/end', instructor, { classId: cls.classId });
  const endMs = performance.now() - d0;
  await Promise.all(terms.map(({ t }) => t.closed));
  room.close();
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const leftNetns = instances.filter((id) => netns.includes(`el${id}-`));
  const leftCg = instances.filter((id) => existsSync(join(labCgroupBase(), `el${id}`)));

  console.log(`bench-class-load: ${N} learners, hello-ebpf on netns, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores`);
  console.log(
    `  bring-up (all at once): all ${N} labs ready in ${(Math.max(...labReady) / 1000).toFixed(1)} s (first ${(Math.min(...labReady) / 1000).toFixed(1)} s, median ${(pct(labReady, 50) / 1000).toFixed(1)} s); all ${N} terminals at a prompt in ${(upAll / 1000).toFixed(1)} s; the room showed all ${N} ready with a terminal at ${((rosterReady.at - t0Wall) / 1000).toFixed(1)} s`,
  );
  console.log(
    `  echo latency, ${N} terminals typing at once (${lat.length} samples in ${echoSecs.toFixed(1)} s): p50 ${pct(lat, 50).toFixed(1)} ms, p90 ${pct(lat, 90).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms`,
  );
  console.log(`  labd RSS: ${rssIdle.toFixed(0)} MiB idle, ${rssUp.toFixed(0)} MiB with ${N} labs + terminals, peak ${rssPeak.toFixed(0)} MiB`);
  console.log(`  roster of ${N} (GET, mean of 10): ${rosterMs.toFixed(1)} ms`);
  console.log(
    `  end class: ${end.status}, reaped ${end.body.reaped?.length ?? 0}/${N} labs in ${(endMs / 1000).toFixed(1)} s, errors ${JSON.stringify(end.body.errors ?? [])}`,
  );
  console.log(`  after the end: ${leftNetns.length} of ${N} namespaces left (ip netns list), ${leftCg.length} cgroup dirs left under ${labCgroupBase()}`);
  if (leftNetns.length || leftCg.length || end.body.reaped?.length !== N) process.exitCode = 1;
} finally {
  clearInterval(sampler);
  await labd.stop();
  downAllLabs(labd.stateDir);
}
