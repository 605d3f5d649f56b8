// What running check.ts in a child process costs over calling it in labd's own process (the
// anchor: how checks ran before, module cached after the first import). Both run in the same
// process, interleaved round by round, so machine load affects them alike.
// Variants: in-process; child taken warm (the pool's waiting child has said ready); child
// started cold (ELAB_CHECK_WARM=0). Two checks: one that returns at once (pure overhead) and one
// that makes 5 ctx.exec calls (adds the per-call round trip over fd 3). The "lab" is the host
// shell in a temp dir, the same for every variant.
// Usage: node --import tsx scripts/bench-check-run.ts [rounds=15]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheckContext, CheckFunction } from '@ebpf-lab/check-sdk';
import { prewarmCheckChild, setWarmCount, stopWarmChildren, warmChildReady } from '../apps/labd/src/checks/child-pool.ts';
import { runTsCheck } from '../apps/labd/src/checks/ts-check.ts';
import type { LabInstance } from '../apps/labd/src/drivers/types.ts';

const rounds = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'elab-bench-check-'));
writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
const checks = {
  trivial: join(dir, 'trivial.ts'),
  exec5: join(dir, 'exec5.ts'),
};
writeFileSync(checks.trivial, `export default async () => ({ status: 'pass', message: 'ok' });\n`);
writeFileSync(
  checks.exec5,
  `export default async (ctx) => { for (let i = 0; i < 5; i++) await ctx.exec('true'); return { status: 'pass', message: 'ok' }; };\n`,
);

const inst = {
  state: { id: 'bench0' },
  async exec(cmd: string) {
    const r = spawnSync('bash', ['-c', cmd], { cwd: dir, encoding: 'utf8' });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, ms: 0, timedOut: false };
  },
  async readFile() {
    return Buffer.alloc(0);
  },
  async pids() {
    return new Set<number>();
  },
} as unknown as LabInstance;

const ctx = {
  labId: 'b',
  instanceId: 'bench0',
  stepId: 's',
  mode: 'live',
  signal: new AbortController().signal,
  exec: (c: string) => inst.exec(c),
  json: async () => null,
  readFile: async () => null,
  labPids: async () => new Set(),
} as unknown as CheckContext;

async function inProcess(path: string): Promise<number> {
  const t = performance.now();
  const mod = (await import(pathToFileURL(path).href)) as { default: CheckFunction };
  const o = await mod.default(ctx);
  if (o.status !== 'pass') throw new Error(o.message);
  return performance.now() - t;
}

async function child(path: string, warm: boolean): Promise<number> {
  setWarmCount(warm ? 1 : 0);
  const t = performance.now();
  const o = await runTsCheck(inst, { checkPath: path, labId: 'b', stepId: 's', mode: 'live', timeoutMs: 30_000, timeoutS: 30 });
  if (o.status !== 'pass') throw new Error(o.message);
  return performance.now() - t;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.9 * xs.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The waiting child is unref'd (it must not hold labd's process open), so awaiting its readiness
// alone would let this script's event loop run dry.
const keepAlive = setInterval(() => {}, 1000);
const results: Record<string, number[]> = {};
const add = (k: string, v: number) => (results[k] ??= []).push(v);
// Prime: the first in-process import pays tsx's transform once; the warm pool starts its child.
await inProcess(checks.trivial);
await inProcess(checks.exec5);
await child(checks.trivial, true);
await sleep(2000);
for (let i = 0; i < rounds; i++) {
  for (const [name, path] of Object.entries(checks)) {
    add(`${name} in-process (anchor)`, await inProcess(path));
    await warmChildReady(); // as between a learner's clicks: the waiting child has started
    add(`${name} child, warm`, await child(path, true));
    stopWarmChildren();
    add(`${name} child, cold`, await child(path, false));
    setWarmCount(1);
    prewarmCheckChild();
  }
}
stopWarmChildren();
clearInterval(keepAlive);
console.log(`check run latency over ${rounds} rounds (ms)`);
for (const [k, xs] of Object.entries(results))
  console.log(`${k.padEnd(34)} median ${median(xs).toFixed(1).padStart(7)}  p90 ${p90(xs).toFixed(1).padStart(7)}`);
