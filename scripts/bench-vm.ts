// Figures for the vm driver on this machine (KVM when a probe guest boots on it, else TCG):
//   - cold ready: VmDriver.up with no warm pool (overlay, QEMU, kernel boot, SSH master, files)
//   - ready from the warm pool: up when a pooled guest has finished booting (file copy only)
//   - exec latency of `true` as root in the guest over the one persistent SSH connection
//   - host RSS of an idle guest's QEMU process (VmRSS), after the guest settled
// Usage: node --import tsx scripts/bench-vm.ts [exec-runs=30]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ownState = !process.env.ELAB_STATE_DIR;
process.env.ELAB_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'elab-bench-vm-'));
const { findLab } = await import('../apps/labd/src/engine.ts');
const { VmDriver } = await import('../apps/labd/src/drivers/vm/vm-driver.ts');
const { VmPool } = await import('../apps/labd/src/drivers/vm/pool.ts');
const { findImage, chooseAccel } = await import('../apps/labd/src/drivers/vm/image.ts');
const { vds } = await import('../apps/labd/src/drivers/vm/vm-instance.ts');

const execRuns = Number(process.argv[2] ?? 30);
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
console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${(await import('node:os')).cpus().length} cores`);

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const t0 = performance.now();
const cold = await driver.up(lab);
console.log(`cold ready (no pool): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
try {
  const ms: number[] = [];
  for (let i = 0; i < execRuns; i++) {
    const t = performance.now();
    const r = await cold.exec('true');
    if (r.code !== 0) throw new Error(`exec failed: ${r.stderr}`);
    ms.push(performance.now() - t);
  }
  console.log(`exec \`true\` over the SSH channel: p50 ${pct(ms, 50).toFixed(0)} ms, p90 ${pct(ms, 90).toFixed(0)} ms (n=${ms.length})`);
  await sleep(10_000);
  console.log(`host RSS of an idle guest (1024 MiB, 1 vCPU): ${rssMiB(vds(cold.state).qemuPid!).toFixed(0)} MiB`);
} finally {
  await cold.down();
}

// Warm pool of one: started in the background, taken once its guest has booted.
await new VmPool().refill(img, 1);
const pooled = new VmPool().live(img)[0];
if (!pooled) throw new Error('the pool did not start a guest');
const cons = vds(pooled).console;
for (let i = 0; i < 3000 && !/ebpf-lab-vm: ready/.test(readFileSync(cons, 'utf8')); i++) await sleep(100);
const t1 = performance.now();
const warm = await driver.up(lab);
console.log(`ready from the warm pool: ${((performance.now() - t1) / 1000).toFixed(1)} s (guest ${vds(warm.state).name})`);
await warm.down();
await driver.reap({ all: true }); // this state dir's pool, should anything be left
if (ownState) rmSync(process.env.ELAB_STATE_DIR!, { recursive: true, force: true });
