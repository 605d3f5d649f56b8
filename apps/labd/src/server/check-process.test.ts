// Checks run outside labd's process, seen through labd's HTTP API on a real netns lab: a check.ts
// that never yields is an `error` at its timeout while labd answers other requests, a check.ts
// edited on disk is used by the next run (no restart), and one that crashes is an `error`.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { call, downAllLabs, isRoot, learner, startLabd, upLab, type LabdProcess } from '../test-support/labd-harness.ts';

const skip = !isRoot && 'needs root (a real netns lab)';

const labs = mkdtempSync(join(tmpdir(), 'elab-check-process-'));
const lab = join(labs, 'checks-apart');
const steps = { loop: 'Loops forever', edited: 'Is edited', crash: 'Crashes' };
const LOOP_TIMEOUT_S = 8;
mkdirSync(lab);
writeFileSync(
  join(lab, 'lab.yaml'),
  `id: checks-apart\ntitle: Checks apart\ndrivers: [netns]\nsteps:\n${Object.entries(steps)
    .map(([id, t]) => `  - id: ${id}\n    title: ${t}\n    timeoutSeconds: ${id === 'loop' ? LOOP_TIMEOUT_S : 30}\n`)
    .join('')}`,
);
const checkPath = (id: string) => join(lab, 'steps', id, 'check.ts');
for (const id of Object.keys(steps)) {
  mkdirSync(join(lab, 'steps', id), { recursive: true });
  writeFileSync(join(lab, 'steps', id, 'solve.sh'), 'true\n');
}
// A synchronous loop: in labd's own process nothing but a restart would have ended it. It marks
// when it starts looping, so the test asks labd something while the loop really runs.
const looping = join(labs, 'looping');
writeFileSync(
  checkPath('loop'),
  `import { writeFileSync } from 'node:fs';\nexport default async () => { writeFileSync(${JSON.stringify(looping)}, 'x'); for (;;) {} };\n`,
);
writeFileSync(
  checkPath('edited'),
  `export default async (ctx) => ({ status: 'fail', message: 'version one: ' + (await ctx.exec('echo from the lab')).stdout.trim() });\n`,
);
writeFileSync(checkPath('crash'), `export default async () => { throw new TypeError('the check has a bug'); };\n`);

let labd: LabdProcess;
let token: string;
before(async () => {
  if (skip) return;
  labd = await startLabd({ env: { ELAB_LABS_DIR: labs } });
  ({ token } = await learner(labd, 'Ann', 'checks-apart'));
  await upLab(labd, token);
});
after(async () => {
  if (skip) return;
  await labd.stop();
  downAllLabs(labd.stateDir);
});

const runStep = (step: string) => call(labd.url, 'POST', '/v1/lab/checks', token, { step });

test('a check.ts that never yields is an error at its timeout, and labd answers meanwhile', { skip }, async () => {
  const order: string[] = [];
  const checking = runStep('loop').then((r) => {
    order.push('check');
    return r;
  });
  for (const deadline = Date.now() + 60_000; !existsSync(looping);) {
    assert.ok(Date.now() < deadline, 'the looping check started within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const policy = await call(labd.url, 'GET', '/v1/policy', labd.serviceToken);
  order.push('other request');
  const r = await checking;
  assert.equal(policy.status, 200);
  assert.deepEqual(order, ['other request', 'check'], 'labd answered another request while the check looped');
  assert.equal(r.status, 200, r.text);
  const res = r.body[0];
  assert.equal(res.status, 'error');
  assert.match(res.message, new RegExp(`did not finish within ${LOOP_TIMEOUT_S}s; this is a problem with the check or the lab, not your work`));
});

test('a check.ts edited while labd runs is used by the next run', { skip }, async () => {
  const first = (await runStep('edited')).body[0];
  assert.deepEqual([first.status, first.message], ['fail', 'version one: from the lab']);
  writeFileSync(
    checkPath('edited'),
    `export default async (ctx) => ({ status: 'pass', message: 'version two: ' + (await ctx.exec('echo from the lab')).stdout.trim() });\n`,
  );
  const second = (await runStep('edited')).body[0];
  assert.deepEqual([second.status, second.message], ['pass', 'version two: from the lab']);
});

test('a check.ts that crashes is an error with the reason, not a fail', { skip }, async () => {
  const res = (await runStep('crash')).body[0];
  assert.equal(res.status, 'error');
  assert.match(res.message, /the check crashed: the check has a bug/);
});
