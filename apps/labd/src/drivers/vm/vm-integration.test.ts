import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadLab } from '@ebpf-lab/lab-spec';
import { config } from '../../config.ts';
import type { LabError } from '../../errors.ts';
import { labBin, lab as labCli } from '../../test-support/lab-cli.ts';
import { spawnShell } from '../shell.ts';
import { AGENT_GREETING } from './guest-agent.ts';
import { findImage } from './image.ts';
import { VmPool } from './pool.ts';
import { labQemus } from './qemu.ts';
import { VmDriver } from './vm-driver.ts';
import { execSocket, setVmExecMode, vds } from './vm-instance.ts';
import { vmTestSkip } from '../../test-support/vm-skip.ts';

// Real guests: QEMU with the image from scripts/build-vm-image.sh (TCG here: ~30 s a boot on a
// loaded 2-core host). Where QEMU or the image are missing this prints one SKIP: line and passes.
const stateDir = mkdtempSync(join(tmpdir(), 'elab-vm-it-'));
process.env.ELAB_STATE_DIR = stateDir;
after(() => rmSync(stateDir, { recursive: true, force: true }));
const lab = loadLab(join(fileURLToPath(import.meta.url), '../../../../../../labs/hello-ebpf'));
const driver = new VmDriver();
const pre = await driver.preflight();
const skip = vmTestSkip('vm integration tests', pre);
const T = { timeout: 15 * 60_000, skip };

test('a real guest: its own kernel with kprobes; exec, files, timeout, shell; the host is invisible; down leaves nothing', T, async () => {
  // Things of the host that a lab in the guest must not see.
  const marker = join(tmpdir(), `elab-vm-host-secret-${process.pid}`);
  writeFileSync(marker, 'host only');
  const hostSleep = spawn('sleep', ['4242.5'], { stdio: 'ignore' });
  const hostMap = `/sys/fs/bpf/elvmisol${process.pid}`;
  spawnSync('bpftool', ['map', 'create', hostMap, 'type', 'array', 'key', '4', 'value', '4', 'entries', '1', 'name', 'elvmhostmap']);
  const inst = await driver.up(lab);
  const d = vds(inst.state);
  try {
    assert.equal(labQemus().get(d.name), d.qemuPid, 'QEMU runs under the instance name');
    const r = await inst.exec('echo "$PWD $(id -u) $LAB_NODE [$X]"; cat', { env: { X: "it's $(x)" }, stdin: 'in' });
    assert.deepEqual([r.code, r.stdout], [0, "/srv/lab 0 lab [it's $(x)]\nin"]);
    const k = await inst.exec('uname -r; test -e /sys/bus/event_source/devices/kprobe && echo kprobe-pmu; test -e /sys/kernel/btf/vmlinux && echo btf');
    assert.match(k.stdout, /cloud-amd64\nkprobe-pmu\nbtf/, 'the guest kernel, with kprobes and BTF');

    // The pattern is bracketed so that the searching shell's own command line does not match it.
    const look = `test -e ${marker} && echo file; grep -qsa '4242[.]5' /proc/[0-9]*/cmdline && echo proc; bpftool map show | grep -c elvmhostmap`;
    const onHost = spawnSync('/bin/bash', ['-c', look], { encoding: 'utf8' }).stdout;
    assert.match(onHost, /file\nproc\n1/, 'the probe does find them on the host');
    const seen = await inst.exec(look);
    assert.doesNotMatch(seen.stdout, /file|proc/, `host file or process visible in the guest: ${seen.stdout}`);
    assert.match(seen.stdout, /^0$/m, 'the host BPF map is not in the guest');
    const reach = await inst.exec('timeout 5 bash -c "echo > /dev/tcp/10.0.2.2/22" && echo reached || echo blocked');
    assert.match(reach.stdout, /blocked/, 'the guest cannot open connections to the host (restrict=on)');

    const t0 = performance.now();
    const slow = await inst.exec('sleep 301 & sleep 601', { timeoutMs: 2000 });
    assert.equal(slow.timedOut, true);
    assert.ok(performance.now() - t0 < 15_000, `a timed-out exec returned after ${Math.round(performance.now() - t0)} ms`);
    // (PID 1 of the guest sleeps in a loop too: look for these sleeps only.)
    assert.equal((await inst.exec("pgrep -f 'sleep (30[1]|60[1])'")).code, 1, "the command's whole process group was killed in the guest");

    await inst.writeFile('notes/a.txt', 'héllo');
    assert.equal((await inst.exec('cat notes/a.txt')).stdout, 'héllo');
    await assert.rejects(inst.readFile('../../etc/shadow'), /outside the lab workdir/);
    assert.equal((await inst.exec('lab-on lab hostname')).stdout.trim(), d.name, 'the guest has lab-on');

    // The seed's BCC hello world, unchanged: BCC compiles against the guest kernel's headers at run
    // time (a minute or more under TCG), attaches a kprobe, and prints per exec.
    const bcc = await inst.exec(
      'python3 bcc-hello.py > bcc.log 2>&1 & for i in $(seq 240); do grep -q "Hello World" bcc.log && break; /bin/true; sleep 1; done; kill %1; cat bcc.log',
      { timeoutMs: 300_000 },
    );
    assert.match(bcc.stdout, /bpf_trace_printk: Hello World!/, `bcc-hello.py in the guest:\n${bcc.stdout.slice(-600)}`);

    const pty = spawnShell(inst.shellCommand({}), { cols: 80, rows: 24 });
    const out = await new Promise<string>((resolve) => {
      let buf = '';
      pty.onData((c) => {
        buf += c;
        if (/@@\/srv\/lab@@0@@end/.test(buf)) resolve(buf);
      });
      pty.write('echo "@@$(pwd)@@$(id -u)@@end"\r');
      setTimeout(() => resolve(buf), 30_000);
    });
    pty.kill();
    assert.match(out, /@@\/srv\/lab@@0@@end/);
    assert.equal(await inst.alive(), true);

    // The exec agent: commands run at once (the first waits for a file the second makes); killed
    // in the guest, it fails the command in flight clearly, and the next exec starts a new one,
    // which kills the orphan. The kill goes over the SSH path (ELAB_VM_EXEC=ssh), not the agent.
    const gate = `/tmp/elab-gate-${process.pid}`;
    const [a, b] = await Promise.all([
      inst.exec(`while [ ! -e ${gate} ]; do sleep 0.1; done; echo a`, { timeoutMs: 120_000 }),
      inst.exec(`sleep 0.5; touch ${gate}; echo b`, { timeoutMs: 120_000 }),
    ]);
    assert.deepEqual([a.stdout, b.stdout], ['a\n', 'b\n']);
    assert.equal(existsSync(execSocket(d)), true, 'execs went through the agent socket');
    const inflight = inst.exec('sleep 607; echo never').then(
      () => null,
      (e: Error) => e,
    );
    const viaSsh = async (cmd: string) => {
      setVmExecMode('ssh');
      try {
        return await inst.exec(cmd);
      } finally {
        setVmExecMode(undefined);
      }
    };
    for (let i = 0; i < 300 && (await viaSsh("pgrep -f 'sleep 60[7]'")).code !== 0; i++) await new Promise((r) => setTimeout(r, 200));
    assert.equal((await viaSsh('kill -9 $(cat /run/ebpf-lab-exec/agent-*.pid)')).code, 0);
    assert.match(String(await inflight), /command runner stopped while running the command/);
    assert.equal((await inst.exec('echo back')).stdout, 'back\n', 'a new agent answers');
    assert.equal((await inst.exec("pgrep -f 'sleep 60[7]'")).code, 1, "the dead agent's command was killed");
    // The SSH master dies (its socket file stays): the next exec starts a new master and forward.
    const master = spawnSync('pgrep', ['-f', `ControlPath=${d.controlPath} .*-N`], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map(Number)
      .filter(Boolean);
    assert.equal(master.length, 1, `one SSH master of this guest: ${master.join(' ')}`);
    process.kill(master[0]!, 'SIGKILL');
    for (let i = 0; i < 100 && spawnSync('kill', ['-0', String(master[0])]).status === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await inst.exec('echo master-back')).stdout, 'master-back\n', 'exec works through a new master');
  } finally {
    await inst.down();
    hostSleep.kill();
    rmSync(marker, { force: true });
    rmSync(hostMap, { force: true });
  }
  assert.equal(await inst.alive(), false);
  assert.equal(labQemus().has(d.name), false, 'no QEMU left');
  assert.equal(
    existsSync(d.overlay) || existsSync(d.hostDir) || existsSync(d.controlPath) || existsSync(execSocket(d)),
    false,
    'no overlay, instance dir or socket left',
  );
  await inst.down();
});

test('a guest that never boots (kernel cannot find its init): a clear error with its console, nothing left', T, async () => {
  await assert.rejects(driver.up(lab, undefined, { extraCmdline: 'rdinit=/nonexistent' }), (e: LabError) => {
    assert.match(e.message, /lab up \(vm, (tcg|kvm)\) failed while booting the guest kernel .*: the guest stopped while booting \(QEMU exited\)/);
    assert.match(e.hint!, /Kernel panic|Unable to mount root|No working init/i, 'the console tail is in the hint');
    assert.match(e.hint!, /scripts\/build-vm-image\.sh --force/);
    assert.match(e.hint!, /nothing of it is left running/);
    return true;
  });
  assert.deepEqual(
    [...labQemus().keys()].filter((n) => readdirSync(join(stateDir, 'instances')).includes(n.slice(2))),
    [],
  );
  assert.deepEqual(readdirSync(join(stateDir, 'instances')), [], 'no instance dir (overlay) left');
});

test('a boot that does not finish in time: the timeout is named, QEMU is killed', T, async () => {
  const before = new Set(labQemus().keys());
  const impatient = new VmDriver({ settings: { ...config().vm, bootTimeoutS: 2 } });
  await assert.rejects(impatient.up(lab), (e: LabError) => {
    assert.match(e.message, /the guest did not finish booting within 2 s/);
    assert.match(e.hint!, /ELAB_VM_BOOT_TIMEOUT_S/);
    return true;
  });
  assert.deepEqual(
    [...labQemus().keys()].filter((n) => !before.has(n)),
    [],
    'no QEMU of this up left',
  );
  assert.deepEqual(readdirSync(join(stateDir, 'instances')), []);
});

test('lab killed mid-boot: `lab reap` kills its QEMU; a lab whose maker exited is reattached by a new process', T, async () => {
  const own = mkdtempSync(join(tmpdir(), 'elab-vm-crash-'));
  const env = { ...process.env, ELAB_STATE_DIR: own };
  const up = spawn(process.execPath, [labBin, 'up', '--driver', 'vm', 'hello-ebpf'], { env, stdio: 'ignore' });
  let id = '';
  for (let i = 0; i < 600 && !id; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const ids = existsSync(join(own, 'instances')) ? readdirSync(join(own, 'instances')) : [];
    if (ids[0] && labQemus().has(`el${ids[0]}`)) id = ids[0];
  }
  assert.ok(id, 'QEMU of the lab appeared');
  up.kill('SIGKILL');
  const reap = labCli(['reap', '--driver', 'vm', '--json'], { env, timeoutMs: 120_000 });
  assert.equal(reap.code, 0, reap.stderr);
  assert.deepEqual(JSON.parse(reap.stdout)[0].removed, [id]);
  assert.equal(labQemus().has(`el${id}`), false, 'no QEMU of the crashed lab');
  assert.equal(existsSync(join(own, 'instances', id)), false, 'no overlay or state left');

  // `lab up` as a process of its own that exits (as labd does when killed): the next one reattaches.
  const made = labCli(['up', '--driver', 'vm', 'hello-ebpf'], { env, timeoutMs: 8 * 60_000 });
  assert.equal(made.code, 0, made.stderr);
  const id2 = made.stdout.trim().split('\n').pop()!;
  const ex = labCli(['exec', id2, '--', 'hostname'], { env });
  assert.equal(ex.stdout.trim(), `el${id2}`, ex.stderr);
  assert.equal(labCli(['reap', '--driver', 'vm', '--json'], { env }).code, 0);
  assert.equal(labQemus().has(`el${id2}`), true, 'reap keeps a live lab');
  const down = labCli(['down', id2], { env });
  assert.equal(down.code, 0, down.stderr);
  assert.equal(labQemus().has(`el${id2}`), false);
  rmSync(own, { recursive: true, force: true });
});

/** The greeting of whatever listens on a unix socket (the exec agent says AGENT_GREETING first). */
function greeting(path: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(path);
    let got = '';
    const end = () => {
      c.destroy();
      resolve(got);
    };
    const timer = setTimeout(end, 20_000);
    c.on('data', (b) => {
      got += b.toString();
      if (got.includes('\n')) {
        clearTimeout(timer);
        end();
      }
    });
    c.on('error', () => {
      clearTimeout(timer);
      end();
    });
    c.on('close', () => {
      clearTimeout(timer);
      end();
    });
  });
}

test('warm pool: a pooled guest is ready (SSH master, exec agent) before it is taken; the next up only copies files; pool guests are reaped', T, async () => {
  const img = findImage();
  const pool = new VmPool();
  await pool.refill(img, 1); // resolves once its guests are warm
  const [pooled] = pool.live(img);
  assert.ok(pooled, 'the pool started a guest');
  try {
    await takeWarm(img, pool, pooled);
  } finally {
    await driver.reap({ all: true });
  }
});

async function takeWarm(img: ReturnType<typeof findImage>, pool: VmPool, pooled: NonNullable<ReturnType<VmPool['live']>[number]>): Promise<void> {
  const instances = () => (existsSync(join(stateDir, 'instances')) ? readdirSync(join(stateDir, 'instances')) : []);
  assert.deepEqual(instances(), [], 'a pool guest is not a lab instance');
  // Live state, not the flag: the agent answers through the master's forward, and its process
  // runs in the guest (asked over the master's control socket, which must be open too).
  const pd = vds(pooled);
  assert.equal(await greeting(execSocket(pd)), AGENT_GREETING, "the pooled guest's exec agent answers before the guest is taken");
  const check = spawnSync('ssh', ['-F', pd.sshConfig, '-o', `ControlPath=${pd.controlPath}`, '-O', 'check', pd.name], { encoding: 'utf8' });
  assert.equal(check.status, 0, `the SSH master of the pooled guest runs: ${check.stderr}`);
  const agent = spawnSync(
    'ssh',
    ['-F', pd.sshConfig, '-o', `ControlPath=${pd.controlPath}`, '-o', 'ControlMaster=no', pd.name, 'pgrep -f "agent-.*\\.py" >/dev/null && echo agent-runs'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(agent.stdout.trim(), 'agent-runs', `python3 agent process in the pooled guest: ${agent.stderr}`);

  const t0 = performance.now();
  const events: string[] = [];
  const inst = await driver
    .up(lab, (e) => events.push(e.phase))
    .catch(async (e) => {
      await driver.reap({ all: true });
      throw e;
    });
  const ms = performance.now() - t0;
  try {
    assert.equal(inst.state.id, pooled.id, 'up took the pooled guest');
    assert.ok(!events.includes('ssh') && !events.includes('boot'), `up from a warm guest neither boots nor logs in: ${events.join(',')}`);
    assert.equal((await inst.exec('hostname')).stdout.trim(), `el${pooled.id}`);
    assert.equal((await inst.exec('test -f /srv/lab/bcc-hello.py && echo files')).stdout.trim(), 'files', 'the starter files are in the guest');
    assert.equal((await inst.exec('lab-on lab echo on-lab')).stdout.trim(), 'on-lab', 'lab-on (installed while warming) runs');
    assert.equal(existsSync(join(stateDir, 'vm-pool', pooled.id)), false, 'it left the pool');
    const d = vds(inst.state);
    assert.match(
      readFileSync(d.sshConfig, 'utf8'),
      new RegExp(`IdentityFile ${d.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`),
      'the ssh config names the key where it is now',
    );
    console.log(`ready from the warm pool in ${(ms / 1000).toFixed(1)} s`);
    await inst.down();
    assert.equal(
      existsSync(d.hostDir) || existsSync(d.controlPath) || existsSync(execSocket(d)) || existsSync(d.qmpSocket!),
      false,
      'down leaves no dir or socket',
    );
  } finally {
    await inst.down();
  }

  // A pool guest left behind is reaped like a lab: `all` takes live ones of this state dir too.
  await pool.refill(img, 1);
  const [again] = pool.live(img);
  assert.ok(again);
  const r = await driver.reap({ all: true });
  assert.ok(r.removed.includes(again.id), JSON.stringify(r));
  assert.equal(labQemus().has(`el${again.id}`), false, 'no pool QEMU left');
  assert.equal(existsSync(join(stateDir, 'vm-pool', again.id)), false, 'no pool overlay left');
  const ad = vds(again);
  assert.equal(existsSync(ad.controlPath) || existsSync(execSocket(ad)) || existsSync(ad.qmpSocket!), false, 'no pool socket left');
}
