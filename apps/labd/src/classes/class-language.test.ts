// A class's lessons language against the real labd: set at creation, changed later, validated with
// a clear error, carried by lookup/join/roster, and a database from before migration 005 keeps its classes (as en).
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MIGRATIONS } from '../store/migrations.ts';
import { openDatabase } from '../store/store.ts';
import { call, startLabd, tempDir, type LabdProcess } from '../test-support/labd-harness.ts';

let labd: LabdProcess;
let instructor: string;
const lessons = [{ slug: 'why-ebpf', title: 'Why eBPF', labId: null }];

before(async () => {
  // A state dir as labd left it before the class language existed, with one class in it.
  const stateDir = tempDir();
  const old = openDatabase(
    join(stateDir, 'labd.db'),
    MIGRATIONS.filter((m) => m.id < '005'),
  );
  old.prepare("INSERT INTO classes (id, name, code, created_at) VALUES ('cold', 'Old class', 'ABCDEFGH', '2026-01-01T00:00:00.000Z')").run();
  old.close();
  labd = await startLabd({ stateDir });
  instructor = readFileSync(join(labd.stateDir, 'instructor-token'), 'utf8').trim();
});

after(async () => {
  await labd?.stop();
  if (labd) rmSync(labd.stateDir, { recursive: true, force: true });
});

test('a class from before the migration is kept and reads as English', async () => {
  const list = await call(labd.url, 'GET', '/v1/classes', instructor);
  assert.equal(list.status, 200, list.text);
  const old = list.body.classes.find((c: { classId: string }) => c.classId === 'cold');
  assert.equal(old?.name, 'Old class');
  assert.equal(old?.language, 'en');
});

test('the language is set at creation (default en), travels with lookup, join and roster, and can be changed', async () => {
  const plain = await call(labd.url, 'POST', '/v1/classes', instructor, { name: 'Plain', lessons });
  assert.equal(plain.status, 201, plain.text);
  assert.equal(plain.body.language, 'en');

  const ko = await call(labd.url, 'POST', '/v1/classes', instructor, { name: '화요 스터디', lessons, language: 'ko' });
  assert.equal(ko.status, 201, ko.text);
  assert.equal(ko.body.language, 'ko');
  const lookup = await call(labd.url, 'GET', `/v1/classes/lookup?code=${ko.body.code}`, labd.serviceToken);
  assert.equal(lookup.body.language, 'ko');
  const join = await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code: ko.body.code, displayName: 'Min' });
  assert.equal(join.status, 201, join.text);
  assert.equal(join.body.language, 'ko', 'the web learns where to send the learner');

  const changed = await call(labd.url, 'POST', '/v1/classes/language', instructor, { classId: ko.body.classId, language: 'en' });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(changed.body.language, 'en');
  const roster = await call(labd.url, 'GET', `/v1/classes/roster?class=${ko.body.classId}`, instructor);
  assert.equal(roster.body.class.language, 'en', 'the room reads the new language');
  assert.equal((await call(labd.url, 'GET', `/v1/classes/lookup?code=${ko.body.code}`, labd.serviceToken)).body.language, 'en');
});

test('a language that is not a lesson language is refused, naming the allowed ones, and changes nothing', async () => {
  const bad = await call(labd.url, 'POST', '/v1/classes', instructor, { name: 'French', lessons, language: 'fr' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /language.*one of en, ko \(got "fr"\)/, bad.text);
  assert.ok(!(await call(labd.url, 'GET', '/v1/classes', instructor)).body.classes.some((c: { name: string }) => c.name === 'French'), 'no class was made');

  const c = await call(labd.url, 'POST', '/v1/classes', instructor, { name: 'Stays ko', lessons, language: 'ko' });
  const change = await call(labd.url, 'POST', '/v1/classes/language', instructor, { classId: c.body.classId, language: 'fr' });
  assert.equal(change.status, 400);
  assert.match(change.body.error, /one of en, ko \(got "fr"\)/);
  assert.equal(
    (await call(labd.url, 'GET', `/v1/classes/roster?class=${c.body.classId}`, instructor)).body.class.language,
    'ko',
    'the class keeps its language',
  );
  assert.equal((await call(labd.url, 'POST', '/v1/classes/language', instructor, { classId: 'cnope', language: 'en' })).status, 404);
});

test('only the instructor changes the language', async () => {
  const c = await call(labd.url, 'POST', '/v1/classes', instructor, { name: 'Guarded', lessons });
  assert.equal((await call(labd.url, 'POST', '/v1/classes/language', labd.serviceToken, { classId: c.body.classId, language: 'ko' })).status, 403);
  assert.equal((await call(labd.url, 'POST', '/v1/classes/language', null, { classId: c.body.classId, language: 'ko' })).status, 401);
});
