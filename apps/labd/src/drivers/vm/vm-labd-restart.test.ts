import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, downAllLabs, learner, startLabd, tempDir } from '../../test-support/labd-harness.ts';
import type { InstanceState } from '../types.ts';
import { labQemus } from './qemu.ts';
import { VmDriver } from './vm-driver.ts';
import { destroyVm } from './vm-instance.ts';

// labd itself, killed with SIGKILL while a learner's vm lab runs, then started again on the same
// state dir. Real guests: runs in the vm stage (scripts/test-vm.sh sets ELAB_VM_INTEGRATION=1).
const pre = process.env.ELAB_VM_INTEGRATION === '1' ? await new VmDriver().preflight() : null;
const skip = !pre ? 'set ELAB_VM_INTEGRATION=1 (scripts/test-vm.sh does)' : pre.ok ? false : `this machine lacks: ${pre.missing.map((m) => m.what).join('; ')}`;
if (skip) console.log(`SKIP: vm labd restart test: ${skip}`);

test(
  'kill -9 labd with a vm lab running, start it again: the lab is reattached and works; down leaves no QEMU or overlay',
  { skip, timeout: 10 * 60_000 },
  async () => {
    const stateDir = tempDir();
    let labd = await startLabd({ stateDir });
    try {
      const ann = await learner(labd, 'Ann');
      const up = await call(labd.url, 'POST', '/v1/lab', ann.token, { driver: 'vm' });
      assert.equal(up.status, 200, up.text);
      const events = await call(labd.url, 'GET', '/v1/lab/events', ann.token);
      assert.match(events.text, /"phase":"ready"/, events.text.slice(-500));
      const view = await call(labd.url, 'GET', '/v1/lab', ann.token);
      const id = view.body.instanceId as string;
      assert.equal(view.body.driver ?? 'vm', 'vm');
      const qemuPid = labQemus().get(`el${id}`);
      assert.ok(qemuPid, "the lab's QEMU runs");

      labd.proc.kill('SIGKILL');
      await labd.stop();
      assert.equal(labQemus().get(`el${id}`), qemuPid, 'QEMU is detached from labd and survives it');

      labd = await startLabd({ stateDir });
      const again = await call(labd.url, 'GET', '/v1/lab', ann.token);
      assert.equal(again.body.state, 'ready', again.text);
      assert.equal(again.body.instanceId, id, 'the same guest, reattached');
      const checks = await call(labd.url, 'POST', '/v1/lab/checks', ann.token);
      assert.equal(checks.status, 200, checks.text);
      assert.equal(checks.body.length, 3, 'every check ran in the reattached guest');
      assert.ok(
        checks.body.every((c: { status: string }) => c.status === 'fail'),
        `fresh lab: every check fails (${JSON.stringify(checks.body.map((c: { status: string; message: string }) => `${c.status}: ${c.message}`))})`,
      );

      await labd.stop();
      downAllLabs(stateDir);
      assert.equal(labQemus().has(`el${id}`), false, 'no QEMU left after down');
      assert.equal(existsSync(join(stateDir, 'instances', id)), false, 'no overlay or state left');
    } finally {
      await labd.stop();
      downAllLabs(stateDir);
      rmSync(stateDir, { recursive: true, force: true });
    }
  },
);

/** The warm pool's guests of a state dir, as their state files say. */
function poolStates(stateDir: string): InstanceState[] {
  const dir = join(stateDir, 'vm-pool');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((id) => {
    try {
      return [JSON.parse(readFileSync(join(dir, id, 'state.json'), 'utf8')) as InstanceState];
    } catch {
      return [];
    }
  });
}

async function until<T>(what: string, f: () => T | undefined, ms: number): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    const v = f();
    if (v) return v;
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}

test(
  'kill -9 labd while it warms a pool guest, start it again: the new labd finishes that guest (no second one) and a learner gets it ready',
  { skip, timeout: 10 * 60_000 },
  async () => {
    const stateDir = tempDir();
    const env = { ELAB_VM_POOL: '1' };
    let labd = await startLabd({ stateDir, env });
    try {
      const booting = await until("the pool guest's QEMU", () => poolStates(stateDir).find((s) => (s.driverState as { qemuPid?: number }).qemuPid), 120_000);
      labd.proc.kill('SIGKILL');
      await labd.stop();
      const qemuPid = labQemus().get(`el${booting.id}`);
      assert.ok(qemuPid, "the pool guest's QEMU survives its labd");
      if ((booting.driverState as { warm?: boolean }).warm) console.log('note: the guest was warm already when labd was killed (a fast boot): reattach only');

      labd = await startLabd({ stateDir, env });
      const warm = await until('the pool guest to be warm', () => poolStates(stateDir).find((s) => (s.driverState as { warm?: boolean }).warm), 5 * 60_000);
      assert.equal(warm.id, booting.id, 'the new labd finished the guest the old one started');
      assert.deepEqual(
        poolStates(stateDir).map((s) => s.id),
        [booting.id],
        'and started no second one',
      );
      assert.equal(labQemus().get(`el${booting.id}`), qemuPid, 'the same QEMU');

      const ann = await learner(labd, 'Ann');
      const t0 = performance.now();
      const up = await call(labd.url, 'POST', '/v1/lab', ann.token, { driver: 'vm' });
      assert.equal(up.status, 200, up.text);
      const events = await call(labd.url, 'GET', '/v1/lab/events', ann.token);
      assert.match(events.text, /"phase":"ready"/, events.text.slice(-500));
      console.log(`ready from the pool guest the restarted labd finished: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const view = await call(labd.url, 'GET', '/v1/lab', ann.token);
      assert.equal(view.body.instanceId, booting.id, 'the learner got the pooled guest');
      const checks = await call(labd.url, 'POST', '/v1/lab/checks', ann.token);
      assert.equal(checks.status, 200, checks.text);
      assert.equal(checks.body.length, 3, 'every check ran in the pooled guest');
    } finally {
      await labd.stop();
      downAllLabs(stateDir);
      // The pool refilled after the take: its guest goes too (this state dir's only).
      for (const s of poolStates(stateDir)) await destroyVm(s);
      assert.equal(poolStates(stateDir).length, 0);
      rmSync(stateDir, { recursive: true, force: true });
    }
  },
);
