import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadLab } from '@ebpf-lab/lab-spec';
import { config } from '../../config.ts';
import type { LabError } from '../../errors.ts';
import { labBin, lab as labCli } from '../../test-support/lab-cli.ts';
import { checkHost } from './host-check.ts';
import { labelledContainers, processAlive } from './vagrant-cli.ts';
import { spawnShell } from '../shell.ts';
import { VagrantDriver } from './vagrant-driver.ts';

// Real machines: vagrant's docker provider with the image from scripts/build-vagrant-image.sh.
// They run in the vagrant stage (scripts/test-vagrant.sh starts dockerd, builds the image and sets
// ELAB_VAGRANT_INTEGRATION=1), not also in the unit stage: there they would run or skip depending on
// whether some earlier run left dockerd up. Where vagrant, docker (with a daemon) or the image are
// missing every test is skipped with the reason (scripts/test.sh prints each as a SKIP: line).
// The full lab (fresh → fail → solve → pass) is scripts/test-vagrant.sh's selftest.
const ownStateDir = process.env.ELAB_STATE_DIR ? null : mkdtempSync(join(tmpdir(), 'elab-vagrant-it-'));
if (ownStateDir) process.env.ELAB_STATE_DIR = ownStateDir;
after(() => {
  if (ownStateDir) rmSync(ownStateDir, { recursive: true, force: true });
});
const lab = loadLab(join(fileURLToPath(import.meta.url), '../../../../../../labs/hello-ebpf'));
const gated = process.env.ELAB_VAGRANT_INTEGRATION === '1';
const host = gated ? await checkHost({ settings: { ...config().vagrant, provider: 'docker' } }) : null;
const skip = !host
  ? 'set ELAB_VAGRANT_INTEGRATION=1 (scripts/test-vagrant.sh does, after starting dockerd)'
  : host.report.ok
    ? false
    : `this machine lacks: ${host.report.missing.map((m) => `${m.what} (${m.fix})`).join('; ')}`;
const driver = new VagrantDriver({ settings: { ...config().vagrant, provider: 'docker' } });
const T = { timeout: 5 * 60_000, skip };

/** Live processes whose environment holds `entry` (vagrant and its children carry LAB_INSTANCE_ID). */
function processesWithEnv(entry: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(entry) && processAlive(Number(p))) out.push(Number(p));
    } catch {
      /* exited */
    }
  }
  return out;
}

test('a real machine: exec over the one SSH connection (env, stdin, timeout), files, guest pids, shell, down twice', T, async () => {
  const inst = await driver.up(lab);
  try {
    const r = await inst.exec('echo "$PWD $(id -u) $LAB_NODE [$X]"; cat', { env: { X: "it's $(x)" }, stdin: 'in' });
    assert.deepEqual([r.code, r.stdout], [0, "/srv/lab 0 lab [it's $(x)]\nin"]);
    assert.equal((await inst.readFile('trace-execve.bt')).length > 0, true, 'files/ arrived in the guest workdir');
    assert.equal((await inst.exec('test -f bpf/Makefile && test -f bpf/hello/hello.bpf.c')).code, 0, 'include: arrived');

    // Returning at all (the test's 5 min timeout is the ceiling) is the proof the 1.5 s timeout cut the 600 s sleep.
    const slow = await inst.exec('sleep 300 & sleep 600', { timeoutMs: 1500 });
    assert.equal(slow.timedOut, true);
    assert.equal((await inst.exec('pgrep -x sleep')).code, 1, 'no sleep left in the guest');

    await inst.writeFile('notes/a.txt', 'héllo');
    assert.equal((await inst.exec('cat notes/a.txt')).stdout, 'héllo');
    const pids = await inst.pids();
    assert.ok(pids.has(1), 'pid 1 (sshd) as the guest numbers it');
    assert.equal((await inst.exec('cat /proc/1/comm')).stdout.trim(), 'sshd');

    const pty = spawnShell(inst.shellCommand({}), { cols: 80, rows: 24 });
    const out = await new Promise<string>((resolve) => {
      let buf = '';
      pty.onData((d) => {
        buf += d;
        if (/@@\/srv\/lab@@0@@end/.test(buf)) resolve(buf);
      });
      pty.write('echo "@@$(pwd)@@$(id -u)@@end"\r');
      setTimeout(() => resolve(buf), 15_000);
    });
    pty.kill();
    assert.match(out, /@@\/srv\/lab@@0@@end/);
    assert.equal(await inst.alive(), true);
  } finally {
    await inst.down();
  }
  assert.equal(await inst.alive(), false);
  assert.deepEqual(await labelledContainers(inst.state.id), []);
  await inst.down();
});

test('vagrant up failing halfway for real (a container that exits at once): a clear error, nothing left', T, async () => {
  const before = new Set((await labelledContainers()).map((c) => c.name));
  process.env.LAB_DOCKER_ARGS = '--entrypoint /bin/false';
  try {
    await assert.rejects(driver.up(lab), (e: LabError) => {
      // Vagrant notices the stop itself, or the driver's poll does first. The phase is wherever vagrant
      // was at that moment: any step from the container's creation on (a race, so all are accepted).
      const phase =
        /failed while (creating the container|starting container [0-9a-f]+|starting the container|waiting for the container to keep running|waiting for the machine to boot \(SSH\)): /;
      assert.match(e.message, phase);
      assert.match(
        e.message,
        /: (vagrant up: The container started either never left the "stopped" state|the container stopped \(exit code 1\) right after it started)/,
      );
      assert.match(e.hint!, /LAB_DOCKER_ARGS/);
      assert.match(e.hint!, /The half-made machine was removed/);
      return true;
    });
  } finally {
    delete process.env.LAB_DOCKER_ARGS;
  }
  assert.deepEqual(
    (await labelledContainers()).filter((c) => !before.has(c.name)),
    [],
  );
});

test('lab killed during vagrant up: `lab reap` removes the container, the orphaned vagrant and the state', T, async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'elab-vagrant-crash-'));
  const env = { ...process.env, ELAB_STATE_DIR: stateDir, ELAB_VAGRANT_PROVIDER: 'docker' };
  const up = spawn(process.execPath, [labBin, 'up', '--driver', 'vagrant', 'hello-ebpf'], { env, stdio: 'ignore' });
  let id = '';
  for (let i = 0; i < 600 && !id; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const ids = existsSync(join(stateDir, 'instances')) ? readdirSync(join(stateDir, 'instances')) : [];
    if (ids[0] && (await labelledContainers(ids[0])).length) id = ids[0];
  }
  assert.ok(id, 'the container appeared');
  up.kill('SIGKILL');
  const reap = labCli(['reap', '--driver', 'vagrant', '--json'], { env, timeoutMs: 120_000 });
  assert.equal(reap.code, 0, reap.stderr);
  assert.deepEqual(JSON.parse(reap.stdout)[0].removed, [id]);
  assert.deepEqual(await labelledContainers(id), [], 'no container of the crashed lab');
  assert.equal(existsSync(join(stateDir, 'instances', id)), false, 'no state left');
  assert.deepEqual(processesWithEnv(`LAB_INSTANCE_ID=${id}`), [], 'no vagrant left running for it');
  rmSync(stateDir, { recursive: true, force: true });
});
