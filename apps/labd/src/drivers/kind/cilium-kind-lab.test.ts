import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { loadLab } from '@ebpf-lab/lab-spec';
import { judgePolicies, L3L4, L7, type PolicyDoc } from '../../../../../labs/cilium-kind/checks/policy.ts';
import { CLUSTER_TOKEN, disablesDefaultCni, imagesInManifests, kindNodeCount, renderKindConfig, renderTokens } from './commands.ts';

// Pins lesson 4's lab files: the kind config, the Helm values the lesson explains, the manifests
// and the reference policies, without a cluster.
const dir = join(fileURLToPath(import.meta.url), '../../../../../../labs/cilium-kind');
const read = (p: string) => readFileSync(join(dir, p), 'utf8');
const lab = loadLab(dir);
const kindSpec = lab.spec.kind!;

test('lab.yaml loads: kind driver only, five steps, Cilium left to the lesson, lesson 3 offered instead', () => {
  assert.deepEqual(lab.spec.drivers, ['kind']);
  assert.deepEqual(
    lab.steps.map((s) => s.id),
    ['install', 'verify', 'connectivity', 'l3-l4', 'l7'],
  );
  const cilium = kindSpec.helm.find((h) => h.release === 'cilium')!;
  assert.equal(cilium.install, 'lesson');
  assert.equal(cilium.namespace, 'kube-system');
  assert.equal(cilium.repo, 'https://helm.cilium.io');
  assert.match(cilium.version ?? '', /^\d+\.\d+\.\d+$/, 'the chart version is pinned');
  assert.equal(kindSpec.alternative, 'pod-to-pod');
  for (const s of lab.steps) assert.ok(s.hint, `step ${s.id} has a hint`);
});

test('kind.yaml: one control plane, two workers, no default CNI, no kube-proxy', () => {
  const text = read(kindSpec.config);
  const cfg = parse(text);
  assert.equal(cfg.kind, 'Cluster');
  assert.equal(cfg.apiVersion, 'kind.x-k8s.io/v1alpha4');
  assert.deepEqual(
    cfg.nodes.map((n: { role: string }) => n.role),
    ['control-plane', 'worker', 'worker'],
  );
  assert.equal(cfg.networking.disableDefaultCNI, true);
  assert.equal(cfg.networking.kubeProxyMode, 'none');
  assert.equal(kindNodeCount(text), 3);
  assert.ok(disablesDefaultCni(renderKindConfig(text, 'elab12cd')));
});

test('Helm values: kube-proxy replacement, native routing, BPF masquerade, Kubernetes IPAM, Hubble and Prometheus', () => {
  const raw = read(kindSpec.helm[0]!.values[0]!);
  assert.ok(raw.includes(CLUSTER_TOKEN));
  const v = parse(renderTokens(raw, 'elab12cd'));
  const podSubnet = parse(read(kindSpec.config)).networking.podSubnet;
  assert.equal(v.kubeProxyReplacement, true);
  assert.equal(v.routingMode, 'native');
  assert.equal(v.autoDirectNodeRoutes, true);
  assert.equal(v.ipv4NativeRoutingCIDR, podSubnet, 'native routing covers the pod subnet of kind.yaml');
  assert.equal(v.bpf.masquerade, true);
  assert.equal(v.ipam.mode, 'kubernetes');
  // No kube-proxy: the agent reaches the API server on the control-plane node directly.
  assert.equal(v.k8sServiceHost, 'elab12cd-control-plane');
  assert.equal(v.k8sServicePort, 6443);
  assert.equal(v.hubble.enabled, true);
  assert.equal(v.hubble.relay.enabled, true);
  assert.equal(v.hubble.ui.enabled, true);
  assert.ok(
    Array.isArray(v.hubble.metrics.enabled) &&
      v.hubble.metrics.enabled.includes('flow') &&
      v.hubble.metrics.enabled.some((m: string) => m.startsWith('httpV2')),
  );
  assert.equal(v.prometheus.enabled, true);
  assert.equal(v.operator.prometheus.enabled, true);
});

test('every image the manifests use is preloaded by lab.yaml', () => {
  const used = new Set([...imagesInManifests(read('files/manifests/netpod-webpod.yaml')), ...imagesInManifests(read('files/manifests/starwars.yaml'))]);
  for (const img of used) assert.ok(kindSpec.images.includes(img), `${img} is in kind.images`);
});

test('the Star Wars manifests carry the identities the policies select on', () => {
  const docs = parseAllDocuments(read('files/manifests/starwars.yaml')).map((d) => d.toJSON());
  const labelsOf = (name: string) => {
    const d = docs.find((x) => x.metadata.name === name && x.kind !== 'Service');
    return d.kind === 'Deployment' ? d.spec.template.metadata.labels : d.metadata.labels;
  };
  assert.equal(labelsOf('deathstar').org, 'empire');
  assert.equal(labelsOf('deathstar').class, 'deathstar');
  assert.equal(labelsOf('tiefighter').org, 'empire');
  assert.equal(labelsOf('xwing').org, 'alliance');
  assert.deepEqual(docs.find((x) => x.kind === 'Service').spec.ports[0].port, 80);
});

test('the reference policies: L3/L4 allows empire on 80 without L7; L7 allows only POST /v1/request-landing', () => {
  const l4 = parse(read('steps/l3-l4/deathstar-policy.yaml')) as PolicyDoc;
  const l7 = parse(read('steps/l7/deathstar-policy.yaml')) as PolicyDoc;
  assert.equal(l4.apiVersion, 'cilium.io/v2');
  assert.equal(l4.kind, 'CiliumNetworkPolicy');
  // The full semantic comparison and its YAML variants live in labs/cilium-kind/checks/policy.test.ts.
  assert.ok(judgePolicies([l4], L3L4).ok && !judgePolicies([l4], L7).ok);
  assert.ok(judgePolicies([l7], L3L4).ok && judgePolicies([l7], L7).ok);
});

test('setup and solve scripts are valid bash', () => {
  for (const f of [lab.setup!, ...lab.steps.map((s) => s.solve)]) {
    const r = spawnSync('bash', ['-n', f]);
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
  }
});
