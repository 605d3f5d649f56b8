// Figures for the vagrant driver on this machine (docker provider unless ELAB_VAGRANT_PROVIDER says
// otherwise):
//   - up: VagrantDriver.up (vagrant up, ssh-config, SSH master, starter files), and down
//   - exec latency of `true` as root in the guest: through the driver (the one persistent SSH
//     connection) vs a `vagrant ssh -c` per call, which is what the driver avoids
// Usage: node --import tsx scripts/bench-vagrant.ts [up-runs=3] [exec-runs=20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.ELAB_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'elab-bench-vagrant-'));
const { findLab } = await import('../apps/labd/src/engine.ts');
const { VagrantDriver } = await import('../apps/labd/src/drivers/vagrant/vagrant-driver.ts');
const { vagrant, ds } = await import('../apps/labd/src/drivers/vagrant/vagrant-cli.ts');
type Inst = Awaited<ReturnType<InstanceType<typeof VagrantDriver>['up']>>;

const upRuns = Number(process.argv[2] ?? 3);
const execRuns = Number(process.argv[3] ?? 20);
const lab = findLab('hello-ebpf');
const driver = new VagrantDriver();

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const f = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(0)} ms, p90 ${pct(xs, 90).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} (n=${xs.length})`;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

const pre = await driver.preflight();
if (!pre.ok) {
  console.error(`bench-vagrant: the vagrant driver cannot run here:\n${pre.missing.map((m) => `  ${m.what} → ${m.fix}`).join('\n')}`);
  process.exit(3);
}

const ups: number[] = [];
const downs: number[] = [];
let keep: Inst | undefined;
for (let i = 0; i < upRuns; i++) {
  const [inst, ms] = await timed(() => driver.up(lab));
  ups.push(ms);
  if (i === upRuns - 1) { keep = inst; break; }
  downs.push((await timed(() => inst.down()))[1]);
}
const inst = keep!;
try {
  const viaDriver: number[] = [];
  for (let i = 0; i < execRuns + 1; i++) {
    const [r, ms] = await timed(() => inst.exec('true'));
    if (r.code !== 0) throw new Error(`exec failed: ${r.stderr}`);
    if (i > 0) viaDriver.push(ms); // the first one may start the master again
  }
  const perCall: number[] = [];
  for (let i = 0; i < execRuns; i++) {
    const [r, ms] = await timed(() => vagrant(inst.state, ['ssh', ds(inst.state).machine, '-c', 'sudo -n true'], 60_000));
    if (r.code !== 0) throw new Error(`vagrant ssh -c failed: ${r.stderr}`);
    perCall.push(ms);
  }
  const provider = ds(inst.state).provider;
  console.log(`bench-vagrant (${provider} provider, lab hello-ebpf)`);
  console.log(`  up (vagrant up + ssh-config + SSH master + starter files): ${f(ups)}`);
  if (downs.length) console.log(`  down (container removed, vagrant destroy, instance dir):  ${f(downs)}`);
  console.log(`  exec \`true\` as root, persistent SSH (driver exec):        ${f(viaDriver)}`);
  console.log(`  exec \`true\` as root, \`vagrant ssh -c\` per call:           ${f(perCall)}`);
  console.log(`  ratio of p50s: ${(pct(perCall, 50) / pct(viaDriver, 50)).toFixed(0)}x`);
} finally {
  await inst.down();
  rmSync(process.env.ELAB_STATE_DIR!, { recursive: true, force: true });
}
