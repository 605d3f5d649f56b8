import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { call, learner, repoRoot, startLabd, type LabdProcess } from '../test-support/labd-harness.ts';

let labd: LabdProcess;
let labs: string;

before(async () => {
  labs = mkdtempSync(join(tmpdir(), 'elab-labs-api-'));
  // _lib: xdp's lab.yaml names _lib/record.py (lib:), so a labs folder without it does not load xdp.
  for (const id of ['hello-ebpf', 'xdp', '_lib']) cpSync(join(repoRoot, 'labs', id), join(labs, id), { recursive: true });
  labd = await startLabd({ env: { ELAB_LABS_DIR: labs } });
});
after(async () => {
  await labd?.stop();
  rmSync(labd.stateDir, { recursive: true, force: true });
  rmSync(labs, { recursive: true, force: true });
});

/** Polls GET /v1/labs until `ok` holds: the catalog re-stats lab files every 500 ms, labd may be slow. */
async function labsUntil(ok: (labs: any[]) => boolean): Promise<any[]> {
  let last: any[] = [];
  for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const r = await call(labd.url, 'GET', '/v1/labs', labd.serviceToken);
    assert.equal(r.status, 200, r.text);
    last = r.body.labs;
    if (ok(last)) return last;
  }
  assert.fail(`GET /v1/labs never matched; last: ${JSON.stringify(last)}`);
}

test('GET /v1/labs serves the catalog to the service token only, and follows edits of lab.yaml', async () => {
  const first = await labsUntil(() => true);
  assert.deepEqual(
    first.map((l) => l.id),
    ['hello-ebpf', 'xdp'],
  );
  const xdp = first.find((l) => l.id === 'xdp');
  assert.equal(xdp.ok, true);
  assert.ok(xdp.drivers.includes('netns'));
  assert.ok(xdp.steps.length > 0 && xdp.steps.every((s: any) => s.id && s.title));

  const ann = await learner(labd, 'Ann');
  assert.equal((await call(labd.url, 'GET', '/v1/labs', ann.token)).status, 403, 'a learner does not list labs');
  assert.equal((await call(labd.url, 'GET', '/v1/labs')).status, 401);

  const yaml = join(labs, 'xdp/lab.yaml');
  const original = readFileSync(yaml, 'utf8');
  writeFileSync(yaml, original.replace(/^title: .*$/m, 'title: Edited while labd runs'));
  await labsUntil((ls) => ls.find((l) => l.id === 'xdp')?.title === 'Edited while labd runs');

  writeFileSync(yaml, original.replace(/^title: .*$/m, 'title: ok\nsetupTimeoutSeconds: -1'));
  const broken = await labsUntil((ls) => ls.find((l) => l.id === 'xdp')?.ok === false);
  const bad = broken.find((l) => l.id === 'xdp');
  assert.equal(bad.error.file, `${labs.split('/').pop()}/xdp/lab.yaml`, "the file, relative to the labs folder's parent");
  assert.ok(
    bad.error.issues.some((i: any) => i.field === 'setupTimeoutSeconds'),
    JSON.stringify(bad.error),
  );
  assert.equal(broken.find((l) => l.id === 'hello-ebpf').ok, true, 'the other lab is still served');
  const tok = await call(labd.url, 'POST', '/v1/tokens', labd.serviceToken, { learnerId: ann.learnerId, labId: 'hello-ebpf' });
  assert.equal(tok.status, 201, tok.text);
});
