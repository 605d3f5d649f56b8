// Figures for the vm driver on this machine (KVM when a probe guest boots on it, else TCG):
//   - cold ready: VmDriver.up with no warm pool (overlay, QEMU, kernel boot, SSH master, files)
//   - ready from the warm pool: up when a pooled guest is warm (booted, SSH master, exec agent:
//     the file copy only is left); --pool-runs N times (a fresh pool guest each), p50 and each
//   - exec latency of `true` as root in the guest: through the exec agent and, interleaved in the
//     same run as the anchor, with an SSH session per exec (ELAB_VM_EXEC=ssh); p50/p90/p99
//   - host RSS of an idle guest's QEMU process (VmRSS), after the guest settled
// Usage: node --import tsx scripts/bench-vm.ts [exec-runs=30] [--exec-only] [--pool-runs N (default 3)]
//   (each exec path runs exec-runs times; --exec-only skips the idle RSS and the warm pool: one guest)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const poolRunsAt = process.argv.indexOf('--pool-runs');
const poolRuns = poolRunsAt > 0 ? Number(process.argv[poolRunsAt + 1]) : 3;
if (!Number.isInteger(poolRuns) || poolRuns < 1) {
  console.error('bench-vm: --pool-runs needs a whole number of runs, at least 1 (e.g. --pool-runs 5)');
  process.exit(2);
}
const ownState = !process.env.ELAB_STATE_DIR;
process.env.ELAB_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'elab-bench-vm-'));
const { findLab } = await import('../apps/labd/src/engine.ts');
const { VmDriver } = await import('../apps/labd/src/drivers/vm/vm-driver.ts');
const { VmPool } = await import('../apps/labd/src/drivers/vm/pool.ts');
const { findImage, chooseAccel } = await import('../apps/labd/src/drivers/vm/image.ts');
const { setVmExecMode, vds } = await import('../apps/labd/src/drivers/vm/vm-instance.ts');

const execOnly = process.argv.includes('--exec-only');
const execRuns = Number(process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && all[i - 1] !== '--pool-runs') ?? 30);
const lab = findLab('hello-ebpf');
const driver = new VmDriver();
const pre = await driver.preflight();
if (!pre.ok) {
  console.error(`bench-vm: the vm driver cannot run here:\n${pre.missing.map((m) => `  ${m.what} → ${m.fix}`).join('\n')}`);
  process.exit(3);
}
const img = findImage();
const accel = await chooseAccel(img);
console.log(`accelerator: ${accel.accel} (${accel.why})`);
console.log(
  `load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${(await import('node:os')).cpus().length} cores`,
);

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const t0 = performance.now();
const cold = await driver.up(lab);
console.log(`cold ready (no pool): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
try {
  // Both exec paths on the same guest in the same run, interleaved, so the host's load (shared
  // with other users) weighs on both alike: the agent (default) and an SSH session per exec
  // (ELAB_VM_EXEC=ssh, the path before the agent). The agent's first exec starts it: apart.
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const timed = async (mode: 'agent' | 'ssh') => {
    setVmExecMode(mode);
    const t = performance.now();
    const r = await cold.exec('true');
    if (r.code !== 0) throw new Error(`exec (${mode}) failed: ${r.stderr}`);
    return performance.now() - t;
  };
  // up's own execs started the agent already; a fresh one (killed over SSH) is timed here.
  await timed('ssh');
  setVmExecMode('ssh');
  await cold.exec('kill -9 $(cat /run/ebpf-lab-exec/agent-*.pid) 2>/dev/null; true');
  console.log(`first exec through the agent (starts python3 in the guest): ${(await timed('agent')).toFixed(0)} ms`);
  const ms = { agent: [] as number[], ssh: [] as number[] };
  console.log(`load average before the exec runs: ${load()}`);
  for (let i = 0; i < execRuns; i++) {
    for (const mode of i % 2 ? (['ssh', 'agent'] as const) : (['agent', 'ssh'] as const)) ms[mode].push(await timed(mode));
  }
  setVmExecMode(undefined);
  console.log(`load average after the exec runs: ${load()}`);
  for (const mode of ['agent', 'ssh'] as const) {
    console.log(
      `exec \`true\` ${mode === 'agent' ? 'through the exec agent        ' : 'SSH session per exec (anchor) '}: p50 ${pct(ms[mode], 50).toFixed(0)} ms, p90 ${pct(ms[mode], 90).toFixed(0)} ms, p99 ${pct(ms[mode], 99).toFixed(0)} ms (n=${ms[mode].length})`,
    );
  }
  console.log(`agent / ssh at p50: ${(pct(ms.agent, 50) / pct(ms.ssh, 50)).toFixed(2)}, at p99: ${(pct(ms.agent, 99) / pct(ms.ssh, 99)).toFixed(2)}`);
  // Concurrency: 8 at once through the agent, wall time against 8 in a row.
  const par = async (n: number, parallel: boolean) => {
    const t = performance.now();
    if (parallel) await Promise.all(Array.from({ length: n }, () => cold.exec('true')));
    else for (let i = 0; i < n; i++) await cold.exec('true');
    return performance.now() - t;
  };
  console.log(`8 execs through the agent: at once ${(await par(8, true)).toFixed(0)} ms, one after another ${(await par(8, false)).toFixed(0)} ms`);
  if (!execOnly) await sleep(10_000);
  if (!execOnly) console.log(`host RSS of an idle guest (1024 MiB, 1 vCPU): ${rssMiB(vds(cold.state).qemuPid!).toFixed(0)} MiB`);
} finally {
  await cold.down();
}

if (execOnly) {
  if (ownState) rmSync(process.env.ELAB_STATE_DIR!, { recursive: true, force: true });
  process.exit(0);
}
// Warm pool of one, poolRuns times: refill resolves once its guest is warm, then up takes it.
const poolMs: number[] = [];
try {
  for (let i = 0; i < poolRuns; i++) {
    await new VmPool().refill(img, 1);
    const pooled = new VmPool().live(img)[0];
    if (!pooled) throw new Error('the pool did not start a guest');
    if (!vds(pooled).warm) throw new Error(`pool guest ${pooled.id} is not warm: see ${vds(pooled).console}`);
    const l = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    const t1 = performance.now();
    const warm = await driver.up(lab);
    poolMs.push(performance.now() - t1);
    console.log(
      `ready from the warm pool: ${(poolMs.at(-1)! / 1000).toFixed(2)} s (guest ${vds(warm.state).name}${warm.state.id === pooled.id ? '' : ', NOT the pooled one'}, load ${l})`,
    );
    await warm.down();
  }
  console.log(`ready from the warm pool: p50 ${(pct(poolMs, 50) / 1000).toFixed(2)} s, max ${(Math.max(...poolMs) / 1000).toFixed(2)} s (n=${poolMs.length})`);
} finally {
  await driver.reap({ all: true }); // this state dir's pool, should anything be left
  if (ownState) rmSync(process.env.ELAB_STATE_DIR!, { recursive: true, force: true });
}
