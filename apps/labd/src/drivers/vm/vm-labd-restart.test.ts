import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, downAllLabs, learner, startLabd, tempDir } from '../../test-support/labd-harness.ts';
import { labQemus } from './qemu.ts';
import { VmDriver } from './vm-driver.ts';

// labd itself, killed with SIGKILL while a learner's vm lab runs, then started again on the same
// state dir. Real guests: runs in the vm stage (scripts/test-vm.sh sets ELAB_VM_INTEGRATION=1).
const pre = process.env.ELAB_VM_INTEGRATION === '1' ? await new VmDriver().preflight() : null;
const skip = !pre ? 'set ELAB_VM_INTEGRATION=1 (scripts/test-vm.sh does)'
  : pre.ok ? false : `this machine lacks: ${pre.missing.map((m) => m.what).join('; ')}`;
if (skip) console.log(`SKIP: vm labd restart test: ${skip}`);

test('kill -9 labd with a vm lab running, start it again: the lab is reattached and works; down leaves no QEMU or overlay', { skip, timeout: 10 * 60_000 }, async () => {
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
    assert.ok(qemuPid, 'the lab\'s QEMU runs');

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
    assert.ok(checks.body.every((c: { status: string }) => c.status === 'fail'), `fresh lab: every check fails (${JSON.stringify(checks.body.map((c: { status: string; message: string }) => `${c.status}: ${c.message}`))})`);

    await labd.stop();
    downAllLabs(stateDir);
    assert.equal(labQemus().has(`el${id}`), false, 'no QEMU left after down');
    assert.equal(existsSync(join(stateDir, 'instances', id)), false, 'no overlay or state left');
  } finally {
    await labd.stop();
    downAllLabs(stateDir);
    rmSync(stateDir, { recursive: true, force: true });
  }
});
