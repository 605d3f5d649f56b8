import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { explain, judgePolicies, L3L4, L7, type PolicyDoc } from './policy.ts';

// Real YAML, as a learner would kubectl apply it: policies/<step>/accept/*.yaml are valid ways to
// write what the step asks, policies/<step>/reject/*.yaml plausible over- or under-permissive ones.
const here = fileURLToPath(new URL('.', import.meta.url));
const load = (file: string): PolicyDoc[] =>
  parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as PolicyDoc)
    .filter(Boolean)
    .map((p) => ({ ...p, metadata: { namespace: 'default', ...p.metadata } }));
const variants = (step: string, kind: 'accept' | 'reject') =>
  readdirSync(join(here, 'policies', step, kind))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ f, docs: load(join(here, 'policies', step, kind, f)) }));

for (const [step, probes] of [
  ['l3-l4', L3L4],
  ['l7', L7],
] as const) {
  test(`${step}: every valid way to write the policy is accepted`, () => {
    const ok = variants(step, 'accept');
    assert.ok(ok.length >= 5, `${step} has ≥ 5 accepted variants`);
    for (const { f, docs } of ok) {
      const j = judgePolicies(docs, probes);
      assert.ok(j.ok, `${step}/accept/${f}: ${j.ok ? '' : explain(j)}`);
    }
  });

  test(`${step}: over-permissive and wrong policies are rejected, naming the request that is wrong`, () => {
    const bad = variants(step, 'reject');
    assert.ok(bad.length >= 4, `${step} has ≥ 4 rejected variants`);
    for (const { f, docs } of bad) {
      const j = judgePolicies(docs, probes);
      assert.ok(!j.ok, `${step}/reject/${f} was accepted`);
      assert.match(explain(j), /→ (TCP|UDP) \d+|no policy selects the deathstar/, f);
    }
  });

  test(`${step}: the lesson's reference policy passes`, () => {
    const j = judgePolicies(load(join(here, '..', 'steps', step, 'deathstar-policy.yaml')), probes);
    assert.ok(j.ok, j.ok ? '' : explain(j));
  });
}

test('the L7 reference also satisfies step l3-l4 (its check still runs after step l7)', () => {
  assert.ok(judgePolicies(load(join(here, '..', 'steps', 'l7', 'deathstar-policy.yaml')), L3L4).ok);
});

test('messages name what got through and why', () => {
  const j = judgePolicies(load(join(here, 'policies/l3-l4/reject/whole-namespace.yaml')), L3L4);
  assert.match(explain(j), /^xwing → TCP 80 POST \/v1\/request-landing is allowed but should be denied: allowed by CiliumNetworkPolicy\/deathstar-landing/);
  assert.match(explain(judgePolicies([], L3L4)), /no policy selects the deathstar/);
  const tiefighter = judgePolicies(load(join(here, 'policies/l3-l4/reject/selects-tiefighter.yaml')), L3L4);
  assert.deepEqual(tiefighter.selecting, []);
});
