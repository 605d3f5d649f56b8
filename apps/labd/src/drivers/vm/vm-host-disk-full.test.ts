import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadLab } from '@ebpf-lab/lab-spec';
import { config } from '../../config.ts';
import { InstanceStore } from '../../instance-store.ts';
import { Store } from '../../store/store.ts';
import { lab as labCli } from '../../test-support/lab-cli.ts';
import { freeMiB, RESUME_FREE_MIB } from './host-disk.ts';
import { labQemus } from './qemu.ts';
import { VmDriver, watchHostDisks } from './vm-driver.ts';
import { execSocket, vds, VmInstance } from './vm-instance.ts';
import { vmTestSkip } from '../../test-support/vm-skip.ts';

// The host disk fills while a guest runs (vm stage: ELAB_VM_INTEGRATION=1). The instances dir is
// a small tmpfs; ballast leaves the guest a few MiB; the guest writes more than that, so QEMU
// pauses it (werror=enospc). The lab's status (the instance, `lab list`) then names the dir and
// what to free; labd's watch (run here as labd runs it) resumes the guest once the ballast is
// gone, and the guest's write finishes normally. Filled again, the paused guest goes with `down`.
const stateDir = mkdtempSync(join(tmpdir(), 'elab-vm-hostfull-'));
// The accelerator probe's answer, when an earlier test of this run cached it (no second probe).
const ciState = process.env.ELAB_STATE_DIR;
if (ciState && existsSync(join(ciState, 'vm-accel.json'))) copyFileSync(join(ciState, 'vm-accel.json'), join(stateDir, 'vm-accel.json'));
process.env.ELAB_STATE_DIR = stateDir;
const instances = join(stateDir, 'instances');
const labDir = join(fileURLToPath(import.meta.url), '../../../../../../labs/hello-ebpf');
const driver = new VmDriver();
const pre = await driver.preflight();
const skip = vmTestSkip('vm host-disk-full test', pre, { needsRoot: true });
after(() => {
  // The SSH master of the removed guest may take a moment to exit (it holds its log there).
  for (let i = 0; i < 50 && spawnSync('mountpoint', ['-q', instances]).status === 0; i++) {
    if (spawnSync('umount', [instances]).status !== 0) spawnSync('sleep', ['0.2']);
  }
  rmSync(stateDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 5 * 60_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(500)) {
    const v = await f();
    if (v) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}
/** Leaves `leaveMiB` free on the tmpfs by allocating the rest in a host file. */
function ballast(file: string, leaveMiB: number): void {
  const mib = freeMiB(instances) - leaveMiB;
  assert.ok(mib > 0, `room for ballast (${freeMiB(instances)} MiB free)`);
  assert.equal(spawnSync('fallocate', ['-l', `${mib}MiB`, file]).status, 0, 'fallocate the ballast');
}

test(
  'a host disk that fills under a running guest: paused and said so with the dir and the fix; resumed when freed; down removes it paused',
  { timeout: 20 * 60_000, skip },
  async () => {
    mkdirSync(instances, { recursive: true });
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=768m', 'elab-vm-hostfull', instances]).status, 0, 'mount a 768 MiB tmpfs');
    // A guest may start with 256 MiB free here (the default asks 1024), so the tmpfs can fill under it.
    const small = new VmDriver({ settings: { ...config().vm, minFreeMiB: 256 } });
    const logs: string[] = [];
    const stopWatch = watchHostDisks((l) => logs.push(l), 1000);
    const inst = (await small.up(loadLab(labDir))) as VmInstance;
    const d = vds(inst.state);
    const dir = d.hostDir;
    try {
      const full = join(instances, 'ballast');
      ballast(full, 24);
      // Direct I/O: the writes reach the virtual disk (and the host) instead of the guest's page cache.
      const write = inst.exec('dd if=/dev/zero of=/srv/lab/big bs=1M count=96 oflag=direct 2>&1; echo "dd exit $?"', { timeoutMs: 15 * 60_000 });
      write.catch(() => undefined);
      const why = await until('the guest to pause', () => inst.problem());
      assert.match(why, new RegExp(`paused: the host disk holding it is full \\(${dir} has \\d+ MiB free\\)\\. Free at least \\d+ MiB there`), why);
      assert.match(why, new RegExp(`lab down ${inst.state.id}`));

      const listed = labCli(['list', '--json'], { env: { ...process.env, ELAB_STATE_DIR: stateDir } });
      assert.equal(listed.code, 0, listed.stderr);
      const row = (JSON.parse(listed.stdout) as { id: string; alive: boolean; problem: string | null }[]).find((r) => r.id === inst.state.id);
      assert.equal(row?.alive, true);
      assert.match(row?.problem ?? '', /paused: the host disk holding it is full/, '`lab list` says it');
      const text = labCli(['list'], { env: { ...process.env, ELAB_STATE_DIR: stateDir } }).stdout;
      assert.match(text, new RegExp(`${inst.state.id} .* PAUSED .*\\n\\s+The lab's VM is paused`));
      await until('the watch to log the pause', async () => logs.some((l) => l.includes(`${inst.state.id}: The lab's VM is paused`)));
      // What GET /v1/lab and the class roster read: ready, with the reason and fix as its error.
      const db = new Store(stateDir);
      try {
        const o = { learnerId: db.createLearner('Ann').id, labId: 'hello-ebpf' };
        const store = new InstanceStore(db);
        store.assign(o, inst.state.id, 'vm');
        const rec = await store.record(o);
        assert.equal(rec.phase, 'ready');
        assert.match(rec.error?.message ?? '', /paused: the host disk holding it is full/);
      } finally {
        db.close();
      }

      rmSync(full);
      assert.ok(freeMiB(instances) >= RESUME_FREE_MIB);
      const done = await write;
      assert.equal(done.code, 0);
      assert.match(done.stdout, /96\+0 records out[\s\S]*dd exit 0/, `the guest's write finished normally: ${done.stdout}`);
      assert.ok(
        logs.some((l) => l.includes(`${inst.state.id}: resumed`)),
        `the watch resumed it: ${logs.join(' | ')}`,
      );
      assert.equal(await inst.problem(), null, 'no problem any more');
      assert.equal((await inst.exec('echo still-here')).stdout, 'still-here\n');

      // Full again, and the learner (or the operator) gives up: down removes the paused guest.
      ballast(full, 8);
      const again = inst.exec('dd if=/dev/zero of=/srv/lab/big2 bs=1M count=64 oflag=direct', { timeoutMs: 15 * 60_000 }).catch((e: Error) => e);
      await until('the guest to pause again', () => inst.problem());
      await inst.down();
      assert.ok(await again, 'the write in flight ends when its guest goes');
    } finally {
      stopWatch();
      await inst.down();
    }
    assert.equal(labQemus().has(d.name), false, 'its QEMU is gone');
    assert.deepEqual(
      readdirSync(instances).filter((n) => n !== 'ballast'),
      [],
      'nothing of it is left on the full disk',
    );
    assert.equal(existsSync(execSocket(d)) || existsSync(d.qmpSocket!) || existsSync(d.controlPath), false, 'no socket left');
  },
);
