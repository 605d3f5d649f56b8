import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { Op } from '@ebpf-lab/protocol';
import { call, isRoot, labdOnStateDir, learner, Term, upLab } from '../test-support/labd-harness.ts';

const skip = !isRoot && 'needs root (real netns labs)';
const { stateDir, start } = labdOnStateDir(skip);

test("a labd restart keeps the running lab, the learner's instance and their progress", { skip }, async () => {
  let labd = await start();
  const ann = await learner(labd, 'Ann');
  const instanceId = await upLab(labd, ann.token);
  const checks = await call(labd.url, 'POST', '/v1/lab/checks', ann.token);
  assert.equal(checks.status, 200);
  assert.equal(checks.body.length, 3);
  const t = await Term.open(labd.url, `?token=${ann.token}`, {});
  await t.waitFor(() => t.frames.some((f) => f.op === Op.Hello), 'Hello');

  // An open terminal must not hold the shutdown up: labd exits on its own, under a generous ceiling.
  const code = await Promise.race([labd.stop(), new Promise<string>((r) => setTimeout(() => r('still running after 60 s'), 60_000).unref())]);
  assert.equal(code, 0, `labd exits 0 on SIGTERM:\n${labd.output()}`);
  assert.ok((await t.closed).code >= 1000, 'the socket was closed');
  assert.ok(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(`el${instanceId}-`), 'the lab survived the shutdown');

  labd = await start();
  const view = await call(labd.url, 'GET', '/v1/lab', ann.token);
  assert.equal(view.status, 200, 'the learner token still works');
  assert.equal(view.body.state, 'ready');
  assert.equal(view.body.instanceId, instanceId, 'the same instance, reattached from SQLite and its state file');
  for (const s of view.body.steps) {
    assert.equal(s.attempts, 1, `${s.id} attempts`);
    assert.equal(s.status, 'fail', `${s.id} status`);
    assert.ok(s.lastMessage, `${s.id} keeps its message`);
  }
  const again = await call(labd.url, 'POST', '/v1/lab', ann.token);
  assert.equal(again.body.instanceId, instanceId, 'POST /v1/lab does not start a second lab');
  const t2 = await Term.open(labd.url, `?token=${ann.token}`, {});
  t2.type('echo $LAB_INSTANCE\r');
  await t2.waitFor(() => t2.text().includes(instanceId), 'a shell in the same lab');
  await t2.close();
});
