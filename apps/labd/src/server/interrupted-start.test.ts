// A start that labd does not finish because it is killed (kill -9) mid-start: the next labd finds
// the learner's lab recorded as `creating` in SQLite, tells the learner it failed and why, and
// removes what the start had made (its namespaces were alive, so no ordinary reap took them).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { call, isRoot, labdOnStateDir, learner, type LabdProcess } from '../test-support/labd-harness.ts';

const skip = !isRoot && 'needs root (a real netns lab)';
const { stateDir, start } = labdOnStateDir(skip);

// A lab whose setup takes long enough to be interrupted (and ends by itself if anything is left).
const labs = mkdtempSync(join(tmpdir(), 'elab-interrupted-'));
after(() => rmSync(labs, { recursive: true, force: true }));
const dir = join(labs, 'slow-start');
mkdirSync(join(dir, 'steps', 'one'), { recursive: true });
writeFileSync(join(dir, 'lab.yaml'), 'id: slow-start\ntitle: Slow start\ndrivers: [netns]\nsetupTimeoutSeconds: 300\nsteps:\n  - id: one\n    title: One\n');
writeFileSync(join(dir, 'setup.sh'), '#!/bin/bash\nsleep 150\n');
writeFileSync(join(dir, 'steps', 'one', 'solve.sh'), 'true\n');
writeFileSync(join(dir, 'steps', 'one', 'check.sh'), '#!/bin/bash\necho not yet\nexit 1\n');
const env = { ELAB_LABS_DIR: labs };

/** Reads GET /v1/lab/events until an event of `phase` arrives (generous ceiling: a loaded host). */
async function waitForPhase(labd: LabdProcess, token: string, phase: string): Promise<void> {
  const res = await fetch(`${labd.url}/v1/lab/events`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(180_000) });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  while (!text.includes(`"phase":"${phase}"`)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the events ended before phase ${phase}:\n${text}`);
    text += dec.decode(value, { stream: true });
  }
  await reader.cancel();
}

const netns = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

test('kill -9 of labd mid-start: the next labd marks the start failed with the reason and removes its leftovers', { skip, timeout: 600_000 }, async () => {
  let labd = await start(env);
  const ann = await learner(labd, 'Ann', 'slow-start');
  const started = await call(labd.url, 'POST', '/v1/lab', ann.token);
  assert.equal(started.status, 200, started.text);
  assert.equal(started.body.state, 'starting');
  await waitForPhase(labd, ann.token, 'setup');
  const ids = readdirSync(join(stateDir, 'instances'));
  assert.equal(ids.length, 1, 'the start made one instance');
  const id = ids[0]!;

  labd.proc.kill('SIGKILL');
  await labd.stop();
  assert.ok(netns().includes(`el${id}-`), 'the half-made lab outlived labd (so the next labd has something to clean up)');

  labd = await start(env);
  const view = await call(labd.url, 'GET', '/v1/lab', ann.token);
  assert.equal(view.status, 200, view.text);
  assert.equal(view.body.state, 'error', 'not starting forever, not silently down');
  assert.equal(view.body.error, 'labd stopped while this lab was starting; start it again');
  assert.equal(view.body.instanceId, null);
  assert.equal(netns().includes(`el${id}-`), false, 'its namespaces were removed');
  assert.equal(existsSync(join(stateDir, 'instances', id)), false, 'its state dir was removed');
  assert.match(labd.output(), new RegExp(`start of slow-start for learner ${ann.learnerId} was interrupted by a labd stop; marked failed`));

  // The record is in SQLite, not in the process: a third labd says the same, and removes nothing more.
  await labd.stop();
  labd = await start(env);
  const again = await call(labd.url, 'GET', '/v1/lab', ann.token);
  assert.equal(again.body.state, 'error');
  assert.equal(again.body.error, 'labd stopped while this lab was starting; start it again');
  assert.doesNotMatch(labd.output(), /was interrupted/);
});
