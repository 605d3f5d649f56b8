import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CheckResult } from '@ebpf-lab/check-sdk';
import type { LabManager } from '../core/lab-manager.ts';
import { SessionRegistry } from '../sessions/registry.ts';
import { Store } from '../store/store.ts';
import { ClassStore, normalizeCode } from './class-store.ts';
import { csvField, toCsv } from './csv.ts';
import { classResults, resultsCsv } from './export.ts';
import { buildRoster, failStreak, STUCK_FAIL_STREAK, STUCK_ON_STEP_MS, stuckReason } from './roster.ts';

const result = (step: string, status: CheckResult['status'], message = `${step} ${status}`): CheckResult => ({
  lab: 'hello-ebpf',
  step,
  status,
  message,
  ms: 5,
});
const fresh = () => {
  const store = new Store(mkdtempSync(join(tmpdir(), 'elab-class-test-')));
  return { store, classes: new ClassStore(store) };
};
/** A LabManager stand-in: the roster only asks it where each lab stands. */
const manager = { peek: async () => ({ state: 'ready', instanceId: 'inst01' }) } as unknown as LabManager;

test('the fail streak counts fails since the last pass and skips check errors', () => {
  const s = (xs: string) => [...xs].map((c) => ({ status: ({ f: 'fail', p: 'pass', e: 'error' } as const)[c as 'f' | 'p' | 'e'] }));
  assert.equal(failStreak(s('')), 0);
  assert.equal(failStreak(s('fff')), 3);
  assert.equal(failStreak(s('fefef')), 3, "errors are the check's fault: neither counted nor a break");
  assert.equal(failStreak(s('ffpfff')), 2, 'newest first: the pass ends the streak');
});

test('stuck: past the time on one step, or a streak of failed checks; never once the lab is done', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();
  assert.equal(stuckReason({ done: false, stepSince: ago(STUCK_ON_STEP_MS - 1000), failStreak: STUCK_FAIL_STREAK - 1 }, now), null);
  assert.match(stuckReason({ done: false, stepSince: ago(STUCK_ON_STEP_MS + 60_000), failStreak: 0 }, now)!, /11 min on this step/);
  assert.match(stuckReason({ done: false, stepSince: ago(0), failStreak: STUCK_FAIL_STREAK }, now)!, /3 failed checks in a row/);
  assert.equal(stuckReason({ done: true, stepSince: ago(STUCK_ON_STEP_MS * 5), failStreak: 9 }, now), null);
});

test('join codes: typed in lower case or with a dash they still match; look-alike letters never occur', () => {
  const { classes } = fresh();
  const c = classes.create('Tuesday group', [
    { slug: 'why-ebpf', title: 'Why eBPF', labId: null },
    { slug: 'hello-ebpf', title: 'Hello', labId: 'hello-ebpf' },
  ]);
  assert.match(c.code, /^[A-HJKMNP-Z2-9]{8}$/);
  assert.equal(normalizeCode(`${c.code.slice(0, 4).toLowerCase()}-${c.code.slice(4)}`), c.code);
  assert.equal(normalizeCode('O0I1L'), null);
  assert.equal(classes.byCode(c.code)?.id, c.id);
  assert.deepEqual(
    classes.get(c.id)?.lessons.map((l) => l.labId),
    [null, 'hello-ebpf'],
  );
});

test('the roster follows each learner: current step, attempts, streak, last check, stuck and terminal', async () => {
  const { store, classes } = fresh();
  const registry = new SessionRegistry();
  const c = classes.create('Class', [{ slug: 'hello-ebpf', title: 'Hello', labId: 'hello-ebpf' }]);
  const ann = store.createLearner('learner-1');
  const bob = store.createLearner('learner-2');
  classes.join(c.id, ann.id, 'Ann');
  classes.join(c.id, bob.id, 'Bob');
  classes.join(c.id, ann.id, 'Ann B.');
  store.recordChecks(ann.id, 'hello-ebpf', 'inst01', [result('bpftrace', 'fail')]);
  store.recordChecks(ann.id, 'hello-ebpf', 'inst01', [result('bpftrace', 'pass')]);
  for (const st of ['fail', 'error', 'fail', 'fail'] as const) store.recordChecks(bob.id, 'hello-ebpf', 'inst02', [result('bpftrace', st)]);

  const roster = await buildRoster({ classes, store, manager, registry }, classes.get(c.id)!);
  assert.deepEqual(
    roster.learners.map((l) => l.displayName),
    ['Ann B.', 'Bob'],
    'joining again renames, keeps the place',
  );
  const [a, b] = roster.learners;
  assert.equal(a!.lesson, 'hello-ebpf');
  assert.deepEqual(a!.step, { id: 'hello', title: a!.steps[1]!.title, index: 2 });
  assert.equal(a!.stepsDone, 1);
  assert.equal(a!.stepsTotal, 3);
  assert.equal(a!.lastCheck?.status, 'pass');
  assert.ok(a!.stepSince >= a!.joinedAt && a!.stepSince === a!.steps[0]!.passedAt, 'on step 2 since step 1 passed');
  assert.equal(a!.stuck, false);
  assert.equal(b!.step?.id, 'bpftrace');
  assert.equal(b!.attempts, 3);
  assert.equal(b!.failStreak, 3);
  assert.equal(b!.stuck, true);
  assert.equal(b!.lastCheck?.message, 'bpftrace fail');
  assert.equal(b!.lab.state, 'ready');
  assert.equal(b!.terminal, false);
});

test('export: one row per learner × step, with status, attempts, first pass and last message, as JSON and CSV', () => {
  const { store, classes } = fresh();
  const c = classes.create('Class', [
    { slug: 'hello-ebpf', title: 'Hello', labId: 'hello-ebpf' },
    { slug: 'why-ebpf', title: 'Why', labId: null },
  ]);
  const ann = store.createLearner('x');
  classes.join(c.id, ann.id, '=Ann, "the" tester');
  store.recordChecks(ann.id, 'hello-ebpf', 'i', [result('bpftrace', 'fail', 'not yet,\nsee "hint"')]);
  store.recordChecks(ann.id, 'hello-ebpf', 'i', [result('bpftrace', 'pass')]);
  const e = classResults(classes, store, classes.get(c.id)!);
  assert.deepEqual(
    e.rows.map((r) => `${r.step}:${r.status}:${r.attempts}`),
    ['bpftrace:pass:2', 'hello:pending:0', 'map:pending:0'],
  );
  assert.ok(e.rows[0]!.firstPassAt && e.rows[0]!.firstPassAfterS !== null && e.rows[0]!.firstPassAfterS >= 0);
  const csv = resultsCsv(e).split('\r\n');
  assert.equal(csv[0], 'learner,learner_id,lesson,lab,step,status,attempts,first_pass_at,first_pass_after_s,last_message');
  assert.ok(csv[1]!.startsWith(`"'=Ann, ""the"" tester",${ann.id},hello-ebpf,hello-ebpf,bpftrace,pass,2,`), csv[1]);
  assert.equal(csvField('a\nb'), '"a\nb"');
  assert.equal(csvField(-3), '-3', 'numbers are not treated as formulas');
  assert.equal(toCsv(['a'], [[null]]), 'a\r\n\r\n');
});

test('broadcasts are kept per class, in order; active classes of a learner exclude ended ones', () => {
  const { store, classes } = fresh();
  const one = classes.create('One', [{ slug: 'hello-ebpf', title: 'Hello', labId: 'hello-ebpf' }]);
  const two = classes.create('Two', [{ slug: 'hello-ebpf', title: 'Hello', labId: 'hello-ebpf' }]);
  const l = store.createLearner('x');
  classes.join(one.id, l.id, 'Ann');
  classes.join(two.id, l.id, 'Ann');
  classes.addBroadcast(one.id, { kind: 'message', message: 'hi' });
  classes.addBroadcast(one.id, { kind: 'goto', lesson: 'hello-ebpf', step: 'map', message: null });
  assert.deepEqual(
    classes.broadcasts(one.id).map((b) => b.kind),
    ['message', 'goto'],
  );
  assert.deepEqual(classes.broadcasts(two.id), []);
  classes.end(two.id);
  assert.deepEqual(classes.activeClassesOf(l.id), [one.id]);
  assert.equal(classes.list().find((c) => c.id === one.id)?.members, 1);
});
