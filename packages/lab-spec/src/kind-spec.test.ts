import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LabSpec } from './lab-schema.ts';

const base = { id: 'k', title: 'K', drivers: ['kind'], steps: [{ id: 's', title: 'S' }] };

test('kind is optional, and a lab without it parses as before', () => {
  const r = LabSpec.parse(base);
  assert.equal(r.kind, undefined);
});

test('kind fills its defaults: kind.yaml, no images, no releases, 600 s', () => {
  const r = LabSpec.parse({ ...base, kind: {} });
  assert.deepEqual(r.kind, { config: 'kind.yaml', images: [], helm: [], waitSeconds: 600 });
});

test('a Helm release defaults to install at up in namespace default', () => {
  const r = LabSpec.parse({ ...base, kind: { helm: [{ release: 'cilium', chart: 'cilium', repo: 'https://helm.cilium.io', values: ['helm/v.yaml'] }] } });
  const rel = r.kind!.helm[0]!;
  assert.equal(rel.install, 'up');
  assert.equal(rel.namespace, 'default');
  assert.deepEqual(rel.waitFor, []);
});

test('paths leaving the lab folder and unknown fields are refused, naming the field', () => {
  const bad = LabSpec.safeParse({ ...base, kind: { config: '../x.yaml' } });
  assert.ok(!bad.success);
  assert.deepEqual(bad.error.issues[0]!.path, ['kind', 'config']);
  const extra = LabSpec.safeParse({ ...base, kind: { helm: [{ release: 'c', chart: 'c', wait: true }] } });
  assert.ok(!extra.success);
  assert.deepEqual(extra.error.issues[0]!.path.slice(0, 3), ['kind', 'helm', 0]);
});
