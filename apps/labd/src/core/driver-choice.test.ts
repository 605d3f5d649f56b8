// LabManager's driver choice and DriverReports' cache, in process, with fake netns and vagrant
// drivers (registered over the real ones for this process only) and a fixture lab that runs on
// both: which driver a start uses, what is remembered, and what is refused before anything starts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { DriverName } from '@ebpf-lab/lab-spec';

const root = mkdtempSync(join(tmpdir(), 'elab-driver-choice-'));
process.env.ELAB_STATE_DIR = join(root, 'state');
process.env.ELAB_LABS_DIR = join(root, 'labs');
const labDir = join(root, 'labs/two-drivers');
mkdirSync(join(labDir, 'steps/one'), { recursive: true });
writeFileSync(join(labDir, 'lab.yaml'), 'id: two-drivers\ntitle: Two drivers\ndrivers: [netns, vagrant]\nsteps:\n  - id: one\n    title: One\n');
writeFileSync(join(labDir, 'steps/one/solve.sh'), 'true\n');
writeFileSync(join(labDir, 'steps/one/check.sh'), 'echo ok\n');

const { registerDriver } = await import('../drivers/registry.ts');
const { newInstanceId, saveState, unregister } = await import('../instances.ts');
const { SessionRegistry } = await import('../sessions/registry.ts');
const { Store } = await import('../store/store.ts');
const { DriverReports } = await import('./driver-reports.ts');
const { DomainError } = await import('../errors.ts');
const { STATUS_OF } = await import('../http/errors.ts');
const { LabManager } = await import('./lab-manager.ts');
type InstanceState = import('../drivers/types.ts').InstanceState;
type LabInstance = import('../drivers/types.ts').LabInstance;
type CapabilityReport = import('../drivers/types.ts').CapabilityReport;

/** A driver that only records: up() saves a state file, down() removes it. */
class FakeDriver {
  ups = 0;
  preflights = 0;
  report: CapabilityReport = { ok: true, missing: [] };
  live = new Set<string>();
  /** What problem() of its instances says (a vm guest paused on a full host disk). */
  stuck: string | null = null;
  constructor(readonly name: DriverName) {}
  async preflight() {
    this.preflights++;
    return this.report;
  }
  async up(lab: { spec: { id: string } }): Promise<LabInstance> {
    this.ups++;
    const state: InstanceState = {
      id: newInstanceId(),
      labId: lab.spec.id,
      driver: this.name,
      createdAt: new Date().toISOString(),
      workdir: root,
      nodes: ['lab'],
      driverState: {},
    };
    saveState(state);
    this.live.add(state.id);
    return this.attach(state);
  }
  attach(state: InstanceState): LabInstance {
    const live = this.live;
    const problem = async () => this.stuck;
    return {
      problem,
      state,
      exec: async () => ({ code: 0, stdout: '', stderr: '', ms: 0, timedOut: false }),
      shell: () => {
        throw new Error('no shell in a fake');
      },
      readFile: async () => Buffer.alloc(0),
      writeFile: async () => {},
      pids: async () => new Set(),
      alive: async () => live.has(state.id),
      down: async () => {
        live.delete(state.id);
        unregister(state.id);
      },
    } as unknown as LabInstance;
  }
  async reap() {
    return { removed: [], kept: [], errors: [] };
  }
}

const netns = new FakeDriver('netns');
const vagrant = new FakeDriver('vagrant');
registerDriver('netns', () => netns as never);
registerDriver('vagrant', () => vagrant as never);

const store = new Store(join(root, 'state'));
const ann = { kind: 'learner' as const, learnerId: store.createLearner('Ann').id, labId: 'two-drivers' };
const fresh = () => new LabManager(store, new SessionRegistry());

async function settled(m: InstanceType<typeof LabManager>) {
  for (let i = 0; i < 200; i++) {
    const v = await m.view(ann);
    if (v.state !== 'starting') return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the lab never settled');
}

/** A refusal of the core, as the HTTP layer will answer it. */
async function refused(p: Promise<unknown>, status: number): Promise<InstanceType<typeof DomainError>> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  assert.ok(e instanceof DomainError, `expected a DomainError answered ${status}, got ${String(e)}`);
  assert.equal(STATUS_OF[e.kind], status, e.message);
  return e;
}

after(async () => {
  for (const d of [netns, vagrant]) for (const id of d.live) unregister(id);
  store.close();
  rmSync(root, { recursive: true, force: true });
});

test("without a choice a start uses the lab's first driver", async () => {
  const m = fresh();
  assert.equal((await m.view(ann)).driver, 'netns');
  await m.start(ann);
  const v = await settled(m);
  assert.equal(v.state, 'ready');
  assert.equal(v.driver, 'netns');
  assert.equal(netns.ups, 1);
});

test('a driver the lab lacks is 400 and one that cannot run here is 424; neither touches the lab', async () => {
  const m = fresh();
  const bad = await refused(m.reset(ann, undefined, 'kind'), 400);
  assert.deepEqual(bad.extra, { field: 'driver', drivers: ['netns', 'vagrant'] }, 'the body names the field and the allowed values');
  vagrant.report = { ok: false, missing: [{ what: 'no VM here', fix: 'apt-get install vagrant' }] };
  const cannot = await refused(m.reset(ann, undefined, 'vagrant'), 424);
  assert.deepEqual(cannot.extra, { driver: 'vagrant', missing: vagrant.report.missing });
  assert.equal(cannot.hint, 'apt-get install vagrant');
  const v = await m.view(ann);
  assert.equal(v.state, 'ready', 'the running lab is untouched');
  assert.equal(v.driver, 'netns');
  assert.equal(vagrant.ups, 0);
  vagrant.report = { ok: true, missing: [] };
});

test('reset onto another driver moves the lab and remembers the choice across a labd restart', async () => {
  let m = fresh();
  await refused(m.start(ann, 'vagrant'), 409);
  await m.reset(ann, undefined, 'vagrant');
  assert.equal((await m.view(ann)).driver, 'vagrant', 'the view names the driver being started');
  let v = await settled(m);
  assert.equal(v.state, 'ready');
  assert.equal(v.driver, 'vagrant');
  assert.equal(netns.live.size, 0, 'the netns lab was taken down');
  assert.equal(store.getLearnerLab(ann.learnerId, ann.labId).driver, 'vagrant');

  await m.reset(ann);
  v = await settled(m);
  assert.equal(v.driver, 'vagrant', 'a reset without a choice keeps the driver');

  for (const id of [...vagrant.live]) await vagrant.attach({ id } as InstanceState).down();
  m = fresh();
  assert.equal((await m.view(ann)).state, 'down');
  await m.start(ann);
  v = await settled(m);
  assert.equal(v.driver, 'vagrant', 'the next start without a choice uses the remembered one');
  assert.equal(netns.ups, 1);
});

test('DriverReports: one preflight per driver per TTL however many ask; a throwing preflight is not ok', async () => {
  let now = 0;
  const reports = new DriverReports(5000, () => now);
  const before = vagrant.preflights;
  await Promise.all([1, 2, 3].map(() => reports.preflight('vagrant')));
  assert.equal(vagrant.preflights - before, 1);
  now = 5001;
  await reports.preflight('vagrant');
  assert.equal(vagrant.preflights - before, 2);

  registerDriver(
    'kind',
    () =>
      ({
        name: 'kind',
        preflight: async () => {
          throw new Error('docker hung up');
        },
      }) as never,
  );
  const kind = await reports.preflight('kind');
  assert.equal(kind.ok, false);
  assert.match(kind.missing[0]!.what, /docker hung up/);
});

test('DriverReports: a preflight that never answers is reported not ok after the timeout, naming the driver', { timeout: 20_000 }, async () => {
  registerDriver('kind', () => ({ name: 'kind', preflight: () => new Promise(() => {}) }) as never);
  const reports = new DriverReports(5000, Date.now, 200);
  // labd's timer is unref'd (it must not keep labd alive); this keeps the test's loop alive for
  // 15 s instead, and then lets go, so a preflight without a timeout fails the test, never hangs it.
  const alive = setTimeout(() => {}, 15_000);
  const r = await reports.preflight('kind').finally(() => clearTimeout(alive));
  assert.equal(r.ok, false);
  assert.match(r.missing[0]!.what, /kind driver's preflight did not answer in 0\.2 s/);
  assert.match(r.missing[0]!.fix, /docker info/);
});

test('a lab that runs but is stuck: ready with the reason as its error; checks and files get 503 with it at once', async () => {
  const m = fresh();
  await m.start(ann);
  const v0 = await settled(m);
  assert.equal(v0.state, 'ready');
  const d = v0.driver === 'netns' ? netns : vagrant;
  d.stuck = "The lab's VM is paused: the host disk holding it is full (/x has 0 MiB free). Free at least 64 MiB there";
  try {
    const v = await m.view(ann);
    assert.deepEqual([v.state, v.error], ['ready', d.stuck]);
    const e = await refused(m.ready(ann), 503);
    assert.equal(e.message, d.stuck);
    assert.match(e.hint ?? '', /Stop or Reset work/);
  } finally {
    d.stuck = null;
  }
  assert.equal((await m.view(ann)).error, undefined, 'the error goes when the lab can run again');
  assert.ok(await m.ready(ann));
});
