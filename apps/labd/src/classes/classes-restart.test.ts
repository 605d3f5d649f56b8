// A labd restart loses nothing of a class: the class and its code, the roster, results, broadcasts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, isRoot, labdOnStateDir, upLab } from '../test-support/labd-harness.ts';
import { SseReader } from './sse-reader.ts';

const skip = !isRoot && 'needs root (real netns labs)';
const { stateDir, start } = labdOnStateDir(skip);

test('classes, rosters, results and broadcasts survive a labd restart; wrong join codes are throttled', { skip }, async () => {
  let labd = await start();
  const instructor = readFileSync(join(stateDir, 'instructor-token'), 'utf8').trim();
  const c = await call(labd.url, 'POST', '/v1/classes', instructor, {
    name: 'Persistent',
    lessons: [
      { slug: 'why-ebpf', title: 'Why eBPF', labId: null },
      { slug: 'hello-ebpf', title: 'Hello', labId: 'hello-ebpf' },
    ],
  });
  assert.equal(c.status, 201);
  const { classId, code } = c.body;
  const ann = await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code, displayName: 'Ann' });
  const bob = await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code, displayName: 'Bob' });
  const token = (await call(labd.url, 'POST', '/v1/tokens', labd.serviceToken, { learnerId: ann.body.learnerId, labId: 'hello-ebpf' })).body.token;
  const instance = await upLab(labd, token);
  for (let i = 0; i < 2; i++) assert.equal((await call(labd.url, 'POST', '/v1/lab/checks', token, { step: 'bpftrace' })).status, 200);
  assert.equal((await call(labd.url, 'POST', '/v1/classes/broadcast', instructor, { classId, message: 'Before the restart' })).status, 201);

  const before = {
    list: (await call(labd.url, 'GET', '/v1/classes', instructor)).body,
    roster: (await call(labd.url, 'GET', `/v1/classes/roster?class=${classId}`, instructor)).body,
    export: (await call(labd.url, 'GET', `/v1/classes/export?class=${classId}&format=json`, instructor)).body,
  };
  assert.equal(before.roster.learners.length, 2);
  assert.equal(before.roster.learners[0].attempts, 2);

  assert.equal(await labd.stop(), 0);
  labd = await start();

  assert.deepEqual((await call(labd.url, 'GET', '/v1/classes', instructor)).body, before.list, 'the class list, codes and member counts');
  const roster = (await call(labd.url, 'GET', `/v1/classes/roster?class=${classId}`, instructor)).body;
  assert.deepEqual(roster, before.roster, 'the same roster, down to the running lab (reattached)');
  assert.equal(roster.learners[0].lab.instanceId, instance);
  const exported = (await call(labd.url, 'GET', `/v1/classes/export?class=${classId}&format=json`, instructor)).body;
  assert.deepEqual(exported.rows, before.export.rows, 'the same results');

  const room = await SseReader.open(`${labd.url}/v1/classes/events?class=${classId}`, instructor);
  const sent = await room.waitFor((e) => e.event === 'broadcasts', 'the broadcast history');
  assert.deepEqual(
    sent.data.map((b: { message: string }) => b.message),
    ['Before the restart'],
  );
  room.close();

  const again = await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code, displayName: 'Ann', learnerId: ann.body.learnerId });
  assert.equal(again.status, 201, 'the join code still works');
  assert.equal(again.body.learnerId, ann.body.learnerId, 'joining again links the same learner');
  assert.equal((await call(labd.url, 'GET', `/v1/classes/roster?class=${classId}`, instructor)).body.learners.length, 2, 'and does not enrol twice');
  assert.ok(bob.body.learnerId);

  // Guessing codes: past 30 wrong ones in a minute every lookup is refused, the right code too.
  for (let i = 0; i < 30; i++)
    assert.equal((await call(labd.url, 'GET', `/v1/classes/lookup?code=WRONG${String(i).padStart(3, '2')}`, labd.serviceToken)).status, 404);
  assert.equal((await call(labd.url, 'GET', `/v1/classes/lookup?code=${code}`, labd.serviceToken)).status, 429);
  assert.equal((await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code, displayName: 'Eve' })).status, 429);
});
