// Figures for the vagrant driver on this machine (docker provider unless ELAB_VAGRANT_PROVIDER says
// otherwise):
//   - up: VagrantDriver.up, split into `vagrant up` itself (from the driver's progress events) and
//     the rest (ssh-config, SSH master, cluster wiring, starter files); and down
//   - exec latency of `true` as root in the guest: through the driver (the one persistent SSH
//     connection), for a cluster also on another node's VM (lab-on over the private network), vs a
//     `vagrant ssh -c` per call, which is what the driver avoids
// libvirt: --cold deletes our box's volume from the pool before the first up, so vagrant uploads
// the image (a host where scripts/libvirt-host.sh start could not link it); the later ups, and all
// without --cold, find the box in the pool (linked by libvirt-host.sh, or uploaded by the first).
// Usage: node --import tsx scripts/bench-vagrant.ts [--lab=hello-ebpf|pod-to-pod] [--cold]
//          [up-runs=3] [exec-runs=20] [vagrant-ssh-runs=exec-runs]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.ELAB_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'elab-bench-vagrant-'));
const { findLab } = await import('../apps/labd/src/engine.ts');
const { VagrantDriver } = await import('../apps/labd/src/drivers/vagrant/vagrant-driver.ts');
const { vagrant, ds } = await import('../apps/labd/src/drivers/vagrant/vagrant-cli.ts');
type Inst = Awaited<ReturnType<InstanceType<typeof VagrantDriver>['up']>>;

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const [upRuns = 3, execRuns = 20, sshRuns = execRuns] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map(Number);
const labId = flags.find((f) => f.startsWith('--lab='))?.slice(6) ?? 'hello-ebpf';
const cold = flags.includes('--cold');
const lab = findLab(labId);
const driver = new VagrantDriver();

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const f = (xs: number[]) =>
  xs.length
    ? `p50 ${pct(xs, 50).toFixed(0)} ms, p90 ${pct(xs, 90).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} (n=${xs.length})`
    : '-';
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

/** The box volumes vagrant-libvirt made or libvirt-host.sh linked: gone, so the next up uploads. */
function dropBoxVolumes(): void {
  const virsh = (...a: string[]) => execFileSync('virsh', ['-c', 'qemu:///system', ...a], { encoding: 'utf8' });
  for (const v of virsh('vol-list', 'elab-pool')
    .split('\n')
    .slice(2)
    .map((l) => l.trim().split(/\s+/)[0]!)) {
    if (/^elab-box-.*_vagrant_box_image_/.test(v)) virsh('vol-delete', v, '--pool', 'elab-pool');
  }
}

const pre = await driver.preflight();
if (!pre.ok) {
  console.error(`bench-vagrant: the vagrant driver cannot run here:\n${pre.missing.map((m) => `  ${m.what} → ${m.fix}`).join('\n')}`);
  process.exit(3);
}

const ups: number[] = [];
const vagrantUps: number[] = [];
const downs: number[] = [];
const loads: string[] = [load()];
/** Where the last up spent its time: each progress event with its time since the start. */
let timeline: string[] = [];
let keep: Inst | undefined;
for (let i = 0; i < upRuns; i++) {
  if (cold && i === 0) dropBoxVolumes();
  let upStart = 0;
  let upEnd = 0;
  const t0 = performance.now();
  timeline = [];
  // `machine` is reported as vagrant up starts, `ssh` once it returned (vagrant-driver.ts).
  const [inst, ms] = await timed(() =>
    driver.up(lab, (p) => {
      timeline.push(`${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${p.phase}: ${p.message}`);
      if (p.phase === 'machine' && !upStart) upStart = performance.now();
      if (p.phase === 'ssh' && !upEnd) upEnd = performance.now();
    }),
  );
  ups.push(ms);
  if (upStart && upEnd) vagrantUps.push(upEnd - upStart);
  console.log(
    `up #${i + 1}${cold && i === 0 ? ' (cold: box uploaded)' : ''}: ${(ms / 1000).toFixed(1)} s, of which vagrant up ${((upEnd - upStart) / 1000).toFixed(1)} s; load ${load()}`,
  );
  loads.push(load());
  if (i === upRuns - 1) {
    keep = inst;
    break;
  }
  downs.push((await timed(() => inst.down()))[1]);
}
const inst = keep!;
try {
  const execOn = async (node: string | undefined, n: number) => {
    const xs: number[] = [];
    for (let i = 0; i < n + 1; i++) {
      const [r, ms] = await timed(() => inst.exec('true', { node }));
      if (r.code !== 0) throw new Error(`exec on ${node ?? 'the first node'} failed: ${r.stderr}`);
      if (i > 0) xs.push(ms); // the first one may start the master (or lab-on's) again
    }
    return xs;
  };
  const viaDriver = await execOn(undefined, execRuns);
  const other = inst.state.nodes.length > 1 && lab.spec.topology.nodes.length > 1 ? lab.spec.topology.nodes.at(-1)!.name : undefined;
  const onOther = other ? await execOn(other, execRuns) : [];
  const perCall: number[] = [];
  for (let i = 0; i < sshRuns; i++) {
    const [r, ms] = await timed(() => vagrant(inst.state, ['ssh', ds(inst.state).machine, '-c', 'sudo -n true'], 120_000));
    if (r.code !== 0) throw new Error(`vagrant ssh -c failed: ${r.stderr}`);
    perCall.push(ms);
  }
  const d = ds(inst.state);
  console.log(
    `bench-vagrant (${d.provider} provider${d.libvirtDriver ? `, ${d.libvirtDriver}` : ''}, lab ${labId}: ${d.machines?.length ?? 1} machine(s)${cold ? ', the first up cold: box uploaded' : ''})`,
  );
  console.log(`  load average (1 5 15 min) before and after each up: ${loads.join(' | ')}`);
  console.log(`  up, whole (driver.up):                                   ${f(ups)}`);
  if (vagrantUps.length) console.log(`  of which \`vagrant up\`:                                  ${f(vagrantUps)}`);
  if (downs.length) console.log(`  down (vagrant destroy, instance dir):                   ${f(downs)}`);
  console.log(`  exec \`true\` as root, persistent SSH (driver exec):       ${f(viaDriver)}`);
  if (other) console.log(`  exec \`true\` on ${other} (lab-on across VMs):              ${f(onOther)}`);
  console.log(`  exec \`true\` as root, \`vagrant ssh -c\` per call:          ${f(perCall)}`);
  if (perCall.length) console.log(`  ratio of p50s: ${(pct(perCall, 50) / pct(viaDriver, 50)).toFixed(0)}x`);
  console.log(`  the last up, step by step:\n${timeline.map((l) => `    ${l}`).join('\n')}`);
} finally {
  await inst.down();
  rmSync(process.env.ELAB_STATE_DIR!, { recursive: true, force: true });
}
