import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CheckResult } from '@ebpf-lab/check-sdk';
import { MIGRATIONS } from './migrations.ts';
import { migrate, openDatabase, Store } from './store.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'elab-store-test-'));
const result = (step: string, status: CheckResult['status'], message: string = status): CheckResult => ({ lab: 'l', step, status, message, ms: 1 });

test('migrations apply once, in order, and later ones append cleanly', () => {
  const file = join(dir(), 'labd.db');
  const db = openDatabase(file);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.deepEqual(migrate(db, MIGRATIONS), [], 'a second run applies nothing');
  const next = [...MIGRATIONS, { id: '900-appended-by-test', sql: 'CREATE TABLE appended_by_test (id TEXT PRIMARY KEY)' }];
  assert.deepEqual(migrate(db, next), ['900-appended-by-test']);
  db.close();
  const reopened = openDatabase(file, next);
  assert.deepEqual(
    (reopened.prepare('SELECT id FROM schema_migrations ORDER BY rowid').all() as { id: string }[]).map((r) => r.id),
    next.map((m) => m.id),
  );
  reopened.close();
});

test('tokens: found by their secret only; rotating a fixed token revokes the old one', () => {
  const s = new Store(dir());
  const l = s.createLearner('Ann');
  const t = s.mintLearnerToken(l.id, 'hello-ebpf');
  assert.deepEqual(s.findToken(t), { kind: 'learner', learnerId: l.id, labId: 'hello-ebpf' });
  assert.equal(s.findToken(`${t}x`), null);
  s.setFixedToken('service', 'a'.repeat(40));
  s.setFixedToken('service', 'b'.repeat(40));
  assert.equal(s.findToken('a'.repeat(40)), null);
  assert.equal(s.findToken('b'.repeat(40))?.kind, 'service');
  s.close();
});

test('progress: a pass sticks through a later check error; errors are history, not attempts', () => {
  const s = new Store(dir());
  const l = s.createLearner('Ann');
  s.recordChecks(l.id, 'lab', 'inst01', [result('a', 'fail', 'not yet'), result('b', 'error')]);
  s.recordChecks(l.id, 'lab', 'inst01', [result('a', 'pass')]);
  s.recordChecks(l.id, 'lab', 'inst02', [result('a', 'error', 'check broke')]);
  const p = s.progress(l.id, 'lab');
  assert.equal(p.get('a')?.status, 'pass');
  assert.equal(p.get('a')?.attempts, 2);
  assert.equal(p.get('a')?.lastMessage, 'check broke');
  assert.ok(p.get('a')?.passedAt);
  assert.equal(p.get('b')?.status, 'error');
  assert.equal(p.get('b')?.attempts, 0);
  assert.deepEqual(
    s.attempts(l.id, 'lab', 'a').map((r) => r.status),
    ['fail', 'pass', 'error'],
  );
  s.setLearnerLab(l.id, 'lab', 'inst02', 'netns');
  assert.deepEqual(s.heldInstances(), [{ learnerId: l.id, labId: 'lab', instanceId: 'inst02' }]);
  s.close();
});
