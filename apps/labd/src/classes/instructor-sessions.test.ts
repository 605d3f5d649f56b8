// Instructor sign-in sessions: opened with the instructor token, act as the instructor, cannot
// open more, end on DELETE, expire, survive a labd restart, and die with a rotated instructor token.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, isRoot, labdOnStateDir } from '../test-support/labd-harness.ts';
import { Store } from '../store/store.ts';

const skip = !isRoot && 'needs root (labd reaps labs at start)';
const { stateDir, start } = labdOnStateDir(skip);

test('instructor sessions: scope, end, expiry, restart and rotation', { skip }, async () => {
  let labd = await start();
  const instructor = readFileSync(join(stateDir, 'instructor-token'), 'utf8').trim();
  const open = await call(labd.url, 'POST', '/v1/instructor/sessions', instructor);
  assert.equal(open.status, 201);
  const session = open.body.token as string;
  assert.match(session, /^[A-Za-z0-9_-]{43}$/);
  const hours = (Date.parse(open.body.expiresAt) - Date.now()) / 3600_000;
  assert.ok(hours > 11.9 && hours <= 12, `expires in 12 h, not ${hours.toFixed(2)} h`);

  assert.equal((await call(labd.url, 'GET', '/v1/classes', session)).status, 200, 'a session acts as the instructor');
  const again = await call(labd.url, 'POST', '/v1/instructor/sessions', session);
  assert.equal(again.status, 403, 'a session cannot open another (so none outlives 12 h)');
  assert.match(again.body.error, /cannot open another session/);
  assert.equal((await call(labd.url, 'DELETE', '/v1/instructor/sessions', instructor)).status, 400, 'the instructor token is not a session to end');
  const service = readFileSync(join(stateDir, 'service-token'), 'utf8').trim();
  assert.equal((await call(labd.url, 'POST', '/v1/instructor/sessions', service)).status, 403, 'the service token opens none');

  assert.equal(await labd.stop(), 0);
  labd = await start();
  assert.equal((await call(labd.url, 'GET', '/v1/classes', session)).status, 200, 'a labd restart keeps the session');
  assert.equal((await call(labd.url, 'DELETE', '/v1/instructor/sessions', session)).status, 200);
  assert.equal((await call(labd.url, 'GET', '/v1/classes', session)).status, 401, 'an ended session is refused');

  // A session past its expiry (written straight into the database) is refused.
  const late = await call(labd.url, 'POST', '/v1/instructor/sessions', instructor);
  const store = new Store(stateDir);
  store.db.prepare('UPDATE instructor_sessions SET expires_at = ?').run(new Date(Date.now() - 1000).toISOString());
  store.close();
  assert.equal((await call(labd.url, 'GET', '/v1/classes', late.body.token)).status, 401, 'an expired session is refused');

  // Rotating the instructor token ends every session opened with the old one.
  const live = (await call(labd.url, 'POST', '/v1/instructor/sessions', instructor)).body.token as string;
  assert.equal(await labd.stop(), 0);
  const rotated = `${instructor.slice(0, 40)}rot`;
  writeFileSync(join(stateDir, 'instructor-token'), `${rotated}\n`, { mode: 0o600 });
  labd = await start();
  assert.equal((await call(labd.url, 'GET', '/v1/classes', live)).status, 401, 'a session of the old token is gone');
  assert.equal((await call(labd.url, 'GET', '/v1/classes', rotated)).status, 200, 'the new token works');
});
