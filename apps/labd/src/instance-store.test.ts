import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const stateDir = mkdtempSync(join(tmpdir(), 'elab-instance-store-'));
process.env.ELAB_STATE_DIR = stateDir;
const { InstanceStore } = await import('./instance-store.ts');
const { Store } = await import('./store/store.ts');
const { upLab } = await import('./engine.ts');
const { getDriver } = await import('./drivers/registry.ts');

const db = new Store(stateDir);
after(() => {
  db.close();
  rmSync(stateDir, { recursive: true, force: true });
});
const isRoot = process.getuid?.() === 0;

test('phases without a lab: down, creating while the work runs, failed with its message, creating again clears it', async () => {
  const store = new InstanceStore(db);
  const o = { learnerId: db.createLearner('Ann').id, labId: 'hello-ebpf' };
  assert.equal((await store.record(o)).phase, 'down');
  let fail!: (e: Error) => void;
  const run = store.create(
    o,
    'netns',
    () =>
      new Promise<void>((_, rej) => {
        fail = rej;
      }),
    (e) => ({ message: (e as Error).message, hint: 'try again' }),
  );
  const creating = await store.record(o);
  assert.equal(creating.phase, 'creating');
  assert.equal(creating.driver, 'netns');
  assert.deepEqual(store.inFlight(), [{ ...o, driver: 'netns' }]);
  fail(new Error('setup exited 1'));
  await assert.rejects(run, /setup exited 1/);
  const failed = await store.record(o);
  assert.equal(failed.phase, 'failed');
  assert.deepEqual(failed.error, { message: 'setup exited 1', hint: 'try again' });
  assert.equal(store.inFlight().length, 0);
  await store.create(
    o,
    'vm',
    async () => {},
    () => ({ message: 'x' }),
  );
  assert.equal((await store.record(o)).phase, 'down', 'a creation that recorded nothing leaves the lab down, not failed');
  assert.equal((await store.record(o)).driver, null);
  store.assign(o, null, 'vm');
  assert.equal((await store.record(o)).driver, 'vm', 'down remembers the driver choice');
});

test(
  'ready is a recorded instance of this lab that is alive; a recorded but dead one is down',
  { skip: !isRoot && 'needs root (a real netns lab)', timeout: 300_000 },
  async () => {
    const store = new InstanceStore(db);
    const o = { learnerId: db.createLearner('Bob').id, labId: 'hello-ebpf' };
    let id = '';
    await store.create(
      o,
      'netns',
      async () => {
        const { inst } = await upLab(o.labId, 'netns');
        id = inst.state.id;
        store.assign(o, id, 'netns');
      },
      (e) => ({ message: (e as Error).message }),
    );
    try {
      const ready = await store.record(o);
      assert.equal(ready.phase, 'ready');
      assert.equal(ready.instanceId, id);
      assert.ok(ready.state?.nodes.length);
      assert.equal(store.recorded({ ...o, labId: 'xdp' }), null, 'another lab of the same learner is not this instance');
      assert.deepEqual(
        store.held().map((h) => h.instanceId),
        [id],
      );
    } finally {
      const state = store.recorded(o);
      if (state) await (await getDriver(state.driver)).attach(state).down();
    }
    const after = await store.record(o);
    assert.equal(after.phase, 'down', 'its lab is gone');
    assert.equal(after.instanceId, null);
  },
);

test('the phase is in SQLite: a start whose process is gone is failed with the reason after recovery; one still running stays creating', async () => {
  const { spawn } = await import('node:child_process');
  const { procStartTime } = await import('./proc-stat.ts');
  const { INTERRUPTED } = await import('./instance-store.ts');
  const o = { learnerId: db.createLearner('Cy').id, labId: 'hello-ebpf' };
  const other = { learnerId: db.createLearner('Di').id, labId: 'hello-ebpf' };
  // A process that started a lab and was killed: its pid no longer runs with that start time.
  db.beginCreating(o.learnerId, o.labId, 'netns', { pid: 4_194_000, start: 'a start time of a process long gone' });
  // Another live process's start (a second labd on this state dir): not ours to fail.
  const live = spawn('sleep', ['60'], { stdio: 'ignore' });
  await new Promise((r) => live.once('spawn', r));
  try {
    db.beginCreating(other.learnerId, other.labId, 'vm', { pid: live.pid!, start: procStartTime(live.pid!) });

    const store = new InstanceStore(db);
    assert.deepEqual(
      await store.record(o),
      { learnerId: o.learnerId, labId: o.labId, instanceId: null, state: null, phase: 'failed', driver: null, error: INTERRUPTED },
      'read before recovery, it is already not creating',
    );
    assert.equal((await store.record(other)).phase, 'creating');
    assert.equal((await store.record(other)).driver, 'vm');
    const recovered = await store.recoverInterrupted();
    assert.deepEqual(
      recovered.map((r) => r.owner),
      [o],
    );
    assert.equal(db.learnerLabRow(o.learnerId, o.labId)?.phase, 'failed', 'persisted');
    assert.equal(db.learnerLabRow(o.learnerId, o.labId)?.error?.message, 'labd stopped while this lab was starting; start it again');
    assert.equal((await new InstanceStore(db).record(other)).phase, 'creating');
    assert.deepEqual(await new InstanceStore(db).recoverInterrupted(), [], 'recovery is done once');
    // A new start clears the failure.
    await new InstanceStore(db).create(
      o,
      'netns',
      async () => {},
      () => ({ message: 'x' }),
    );
    assert.equal((await store.record(o)).phase, 'down');
  } finally {
    live.kill();
  }
});
