import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadLab } from '@ebpf-lab/lab-spec';
import { config } from '../../config.ts';
import type { LabError } from '../../errors.ts';
import { findImage } from './image.ts';
import { labQemus, qemuArgs } from './qemu.ts';
import { VmDriver } from './vm-driver.ts';
import { tcgTimeScale } from '../tcg-time.ts';
import { VmInstance } from './vm-instance.ts';

// No guest boots here: the checks that come before QEMU, and the command line QEMU gets.
const stateDir = mkdtempSync(join(tmpdir(), 'elab-vm-unit-'));
process.env.ELAB_STATE_DIR = stateDir;
after(() => rmSync(stateDir, { recursive: true, force: true }));
const labs = join(fileURLToPath(import.meta.url), '../../../../../../labs');
const hello = loadLab(join(labs, 'hello-ebpf'));

test('QEMU command line: detached, named el<id>, SSH forwarded on loopback only, guest networking restricted, paused on a full host disk', () => {
  const a = qemuArgs({
    name: 'elabc123',
    hostDir: '/x',
    overlay: '/x/elabc123.qcow2',
    pidFile: '/x/elabc123.pid',
    console: '/x/elabc123.console',
    qmpSocket: '/x/elabc123.qmp',
    image: { kernel: '/i/vmlinuz', initrd: '/i/initrd.img' },
    accel: 'tcg',
    memoryMiB: 1024,
    cpus: 1,
    sshPort: 40022,
    pubkey: 'ssh-ed25519 AAAA k',
  });
  const after = (flag: string) => a[a.indexOf(flag) + 1];
  assert.equal(after('-name'), 'guest=elabc123,process=elabc123');
  assert.equal(after('-accel'), 'tcg,tb-size=256');
  assert.equal(after('-m'), '1024');
  assert.ok(a.includes('-daemonize') && a.includes('-no-reboot'));
  assert.equal(after('-pidfile'), '/x/elabc123.pid');
  assert.equal(after('-netdev'), 'user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22');
  assert.match(after('-drive')!, /^file=\/x\/elabc123\.qcow2,if=virtio,format=qcow2,.*werror=enospc/);
  assert.equal(after('-qmp'), 'unix:/x/elabc123.qmp,server=on,wait=off', 'QMP tells labd about the pause');
  assert.match(after('-append')!, new RegExp(`elab.key=${Buffer.from('ssh-ed25519 AAAA k').toString('base64')}`));
});

test('no QEMU installed: preflight names the package, and up refuses before anything exists', async () => {
  const driver = new VmDriver({ path: '/nonexistent' });
  const pre = await driver.preflight();
  assert.equal(pre.ok, false);
  assert.ok(
    pre.missing.some((m) => /qemu-system-x86_64 is not installed/.test(m.what) && /apt-get install qemu-system-x86/.test(m.fix)),
    JSON.stringify(pre.missing),
  );
  await assert.rejects(driver.up(hello), (e: LabError) => {
    assert.equal(e.exitCode, 3);
    assert.match(e.message, /the vm driver cannot run here: qemu-system-x86_64 is not installed/);
    assert.match(e.hint!, /apt-get install qemu-system-x86 qemu-utils/);
    return true;
  });
  assert.equal(existsSync(join(stateDir, 'instances')) && readdirSync(join(stateDir, 'instances')).length > 0, false, 'no instance state');
});

test('no image built: a clear error naming the build script, nothing started', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'elab-vm-noimage-'));
  const settings = { ...config().vm, imageDir: empty };
  try {
    assert.throws(
      () => findImage(settings),
      (e: LabError) => {
        assert.match(e.message, new RegExp(`the VM image is not built \\(expected it in ${empty}\\)`));
        assert.match(e.hint!, /sudo scripts\/build-vm-image\.sh/);
        return true;
      },
    );
    const before = labQemus().size;
    await assert.rejects(new VmDriver({ settings }).up(hello), /the VM image is not built/);
    assert.equal(labQemus().size, before, 'no QEMU started');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('supports(): nodes and pods become namespaces in the guest; a topology that cannot be planned is refused', async () => {
  const pods = loadLab(join(labs, 'pod-to-pod'));
  assert.deepEqual(new VmDriver().supports(pods), { ok: true });
  assert.deepEqual(new VmDriver().supports(hello), { ok: true });
  const clash = {
    ...pods,
    spec: { ...pods.spec, topology: { ...pods.spec.topology, pods: [...pods.spec.topology.pods, { name: 'k8s-s', node: 'k8s-s', labels: {} }] } },
  };
  const r = new VmDriver().supports(clash);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.why, /the name "k8s-s" is used twice/);
    assert.match(r.fix, /fix the topology in .*pod-to-pod\/lab.yaml/);
  }
  await assert.rejects(new VmDriver().up(clash), (e: LabError) => e.exitCode === 2 && /topology: .*used twice/.test(e.message));
});

test('TCG time scale: 4x on an idle host, growing with the load per core, capped at 16x', () => {
  assert.equal(tcgTimeScale(0.3, 2), 4);
  assert.equal(tcgTimeScale(2, 2), 4);
  assert.equal(tcgTimeScale(5, 2), 10);
  assert.equal(tcgTimeScale(25, 2), 16);
  assert.equal(tcgTimeScale(25, 0), 16, 'no core count: still capped');
});

test('a pool guest still starting (no QEMU pid yet) is alive while its maker lives, a leftover after', async () => {
  const state = (creatorPid: number) => ({
    id: 'poolxx',
    labId: '(warm pool)',
    driver: 'vm' as const,
    createdAt: '',
    workdir: '/srv/lab',
    nodes: ['lab'],
    driverState: {
      name: 'elpoolxx',
      phase: 'pool',
      creatorPid,
      hostDir: join(stateDir, 'nope'),
      sshConfig: '/nonexistent',
      controlPath: '/nonexistent',
      accel: 'tcg',
    },
  });
  assert.equal(await new VmInstance(state(process.pid)).alive(), true, "another state dir's reap must keep it");
  const gone = spawnSync('true').pid!;
  assert.equal(await new VmInstance(state(gone)).alive(), false, 'its maker died: a leftover');
});

test("a TCG guest's own limits are whole milliseconds at any load (AbortSignal.timeout refuses fractions)", () => {
  const state = {
    id: 'limitx',
    labId: 'x',
    driver: 'vm' as const,
    createdAt: '',
    workdir: '/srv/lab',
    nodes: ['lab'],
    driverState: {
      name: 'ellimitx',
      phase: 'ready',
      creatorPid: process.pid,
      hostDir: join(stateDir, 'nope'),
      sshConfig: '/nonexistent',
      controlPath: '/nonexistent',
      accel: 'tcg',
    },
  };
  const inst = new VmInstance(state) as unknown as { ownLimit(ms: number): number; timeScale: number };
  assert.ok(inst.timeScale >= 4, 'TCG scales limits up');
  // The scale at load 8.7 on 2 cores (seen here): 60 s * 8.7 is 521999.99999999994 in floating point.
  Object.defineProperty(inst, 'timeScale', { value: 8.7 });
  const ms = inst.ownLimit(60_000);
  assert.equal(ms, 522_000);
  assert.doesNotThrow(() => AbortSignal.timeout(ms));
});
