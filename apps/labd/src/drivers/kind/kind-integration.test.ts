import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadLab } from '@ebpf-lab/lab-spec';
import { checkSteps, solveSteps, upLab } from '../../engine.ts';
import { kindHostItems, missingLocalImages, summarizeMissing } from './host-check.ts';

// The whole of lesson 4 on a real kind cluster: up → every check fails → solve → every check
// passes → down. It needs docker (with a daemon), kind, helm, kubectl and the lab's images on this
// machine; where any is missing it is skipped naming them (a SKIP: line in scripts/test.sh).
process.env.ELAB_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'elab-kind-it-'));
const labDir = join(fileURLToPath(import.meta.url), '../../../../../../labs/cilium-kind');

test('cilium-kind end to end on kind: up, checks fail, solve, checks pass, down', { timeout: 90 * 60_000 }, async (t) => {
  const items = await kindHostItems();
  const dockerOk = items.every((i) => (i.name !== 'docker' && i.name !== 'dockerd') || i.ok);
  const images = dockerOk ? await missingLocalImages(loadLab(labDir).spec.kind!.images) : [];
  const missing = summarizeMissing(items, images);
  if (missing) {
    t.skip(`missing ${missing}`);
    return;
  }
  const log = (s: string) => t.diagnostic(s);
  const { lab, inst } = await upLab('cilium-kind', 'kind', (p) => log(`${p.phase}: ${p.message}`));
  try {
    const fresh = await checkSteps(inst, lab);
    for (const r of fresh) assert.equal(r.status, 'fail', `fresh lab, step ${r.step}: ${r.status} — ${r.message}`);
    await solveSteps(inst, lab);
    const solved = await checkSteps(inst, lab);
    for (const r of solved) assert.equal(r.status, 'pass', `after solve, step ${r.step}: ${r.status} — ${r.message} (${r.actual ?? ''})`);
  } finally {
    await inst.down();
  }
  assert.equal(await inst.alive(), false, 'the cluster is gone after down');
  await inst.down();
});
