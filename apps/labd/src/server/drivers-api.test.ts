// Driver choice against the real labd: GET /v1/lab/drivers and POST /v1/lab {driver}.
// labd runs with ELAB_VAGRANT_PROVIDER=virtualbox, so where VirtualBox is not installed the vagrant
// driver's preflight fails the same way on every machine (the refusal path is what is pinned).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { which } from '../host-caps.ts';
import { call, downAllLabs, isRoot, learner, startLabd, type LabdProcess } from '../test-support/labd-harness.ts';

const noVirtualBox = !which('VBoxManage', process.env.PATH ?? '');
let labd: LabdProcess;
let ann: { learnerId: string; token: string };

before(async () => {
  labd = await startLabd({ env: { ELAB_VAGRANT_PROVIDER: 'virtualbox' } });
  ann = await learner(labd, 'Ann', 'hello-ebpf');
});

after(async () => {
  await labd.stop();
  downAllLabs(labd.stateDir);
});

test("GET /v1/lab/drivers lists every registered driver for the token's lab, with preflight state", async () => {
  const r = await call(labd.url, 'GET', '/v1/lab/drivers', ann.token);
  assert.equal(r.status, 200, r.text);
  const byName = new Map(
    (r.body as { name: string }[]).map((d) => [d.name, d as { name: string; supported: boolean; ok: boolean; missing: { what: string; fix: string }[] }]),
  );
  assert.deepEqual([...byName.keys()].slice(0, 2), ['netns', 'vagrant'], "the lab's own drivers first, in lab.yaml order");
  for (const d of byName.values()) {
    assert.equal(typeof d.ok, 'boolean');
    assert.equal(d.ok, d.missing.length === 0, `${d.name}: ok exactly when nothing is missing`);
    for (const m of d.missing) assert.ok(m.what && m.fix, `${d.name}: every missing thing has a fix: ${JSON.stringify(m)}`);
  }
  assert.equal(byName.get('netns')!.supported, true);
  assert.equal(byName.get('vagrant')!.supported, true);
  if (byName.has('kind')) assert.equal(byName.get('kind')!.supported, false, 'hello-ebpf does not run on kind');
  if (isRoot) assert.equal(byName.get('netns')!.ok, true, `netns runs here as root: ${JSON.stringify(byName.get('netns'))}`);
  if (noVirtualBox) {
    const v = byName.get('vagrant')!;
    assert.equal(v.ok, false);
    assert.ok(
      v.missing.some((m) => /VirtualBox/.test(m.what) && /virtualbox/i.test(m.fix)),
      JSON.stringify(v.missing),
    );
  }
  // That a second ask within the TTL runs no preflight is counted in driver-choice.test.ts; how fast
  // the cached answer is belongs to a benchmark, not here. The second answer is the same one.
  const second = await call(labd.url, 'GET', '/v1/lab/drivers', ann.token);
  assert.equal(second.status, 200);
  assert.deepEqual(second.body, r.body);
  assert.equal((await call(labd.url, 'GET', '/v1/lab/drivers', labd.serviceToken)).status, 403, 'learner tokens only');
});

test('POST /v1/lab with a driver the lab does not run on is 400 and names the allowed ones', async () => {
  for (const driver of ['kind', 'qemu']) {
    const r = await call(labd.url, 'POST', '/v1/lab', ann.token, { driver });
    assert.equal(r.status, 400, r.text);
    assert.match(r.body.error, new RegExp(`does not run on the ${driver} driver`));
    assert.match(r.body.hint, /netns, vagrant, vm/);
    assert.deepEqual(r.body.drivers, ['netns', 'vagrant', 'vm']);
  }
  assert.equal((await call(labd.url, 'POST', '/v1/lab/reset', ann.token, { driver: 'kind' })).status, 400, 'reset checks the same way');
  assert.equal((await call(labd.url, 'GET', '/v1/lab', ann.token)).body.state, 'down', 'nothing started');
});

test(
  'POST /v1/lab with a driver whose preflight fails is 424 with each missing thing and its fix',
  { skip: !noVirtualBox && 'VirtualBox is installed here' },
  async () => {
    const r = await call(labd.url, 'POST', '/v1/lab', ann.token, { driver: 'vagrant' });
    assert.equal(r.status, 424, r.text);
    assert.equal(r.body.driver, 'vagrant');
    assert.match(r.body.error, /the vagrant driver cannot run here/);
    assert.ok(Array.isArray(r.body.missing) && r.body.missing.length > 0);
    assert.ok(r.body.missing.every((m: { what: string; fix: string }) => m.what && m.fix));
    const v = await call(labd.url, 'GET', '/v1/lab', ann.token);
    assert.equal(v.body.state, 'down', 'nothing started');
    assert.equal(v.body.driver, 'netns', 'a refused choice is not remembered');
  },
);

test(
  'POST /v1/lab {driver: netns} starts on it and remembers it; another driver while it runs is 409',
  { skip: !isRoot && 'needs root (a real netns lab)' },
  async () => {
    const r = await call(labd.url, 'POST', '/v1/lab', ann.token, { driver: 'netns' });
    assert.equal(r.status, 200, r.text);
    const events = await call(labd.url, 'GET', '/v1/lab/events', ann.token);
    assert.match(events.text, /"phase":"ready"/);
    const v = await call(labd.url, 'GET', '/v1/lab', ann.token);
    assert.equal(v.body.state, 'ready');
    assert.equal(v.body.driver, 'netns');
    const db = new Database(join(labd.stateDir, 'labd.db'), { readonly: true });
    const row = db.prepare('SELECT instance_id, driver FROM learner_labs WHERE learner_id = ? AND lab_id = ?').get(ann.learnerId, 'hello-ebpf');
    db.close();
    assert.deepEqual(row, { instance_id: v.body.instanceId, driver: 'netns' });
    assert.equal((await call(labd.url, 'POST', '/v1/lab', ann.token, { driver: 'netns' })).status, 200, 'same driver: idempotent');
    const other = await call(labd.url, 'POST', '/v1/lab', ann.token, { driver: 'vagrant' });
    assert.equal(other.status, 409, other.text);
    assert.match(other.body.hint, /POST \/v1\/lab\/reset/);
  },
);
