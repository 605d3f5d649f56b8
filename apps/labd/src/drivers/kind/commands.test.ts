import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { HelmReleaseSpec } from '@ebpf-lab/lab-spec';
import {
  chartFileName,
  clusterName,
  disablesDefaultCni,
  dockerExecArgs,
  helmInstallArgs,
  helmPullArgs,
  helmScript,
  helmTemplateArgs,
  imagesInManifests,
  kindCreateArgs,
  kindLoadArgs,
  kindNodeCount,
  labClusterIds,
  pidsOfContainers,
  renderKindConfig,
  renderTokens,
  resolveTarget,
  sortNodes,
} from './commands.ts';

const cilium: HelmReleaseSpec = {
  release: 'cilium',
  chart: 'cilium',
  repo: 'https://helm.cilium.io',
  version: '1.18.0',
  namespace: 'kube-system',
  values: ['helm/cilium-values.yaml'],
  install: 'lesson',
  waitFor: [],
};

test('the cluster is named el<id>, which reap recognises among other clusters', () => {
  assert.equal(clusterName('ab12cd'), 'elab12cd');
  assert.deepEqual(labClusterIds('kind\nelab12cd\nelzz99yy\nelab12cde\nel12345\nmy-el123456\n  elq1w2e3  \n'), ['ab12cd', 'q1w2e3', 'zz99yy']);
  assert.deepEqual(labClusterIds('No kind clusters found.\n'), []);
});

test('kind create/load/delete arguments carry the instance cluster name and kubeconfig', () => {
  assert.deepEqual(kindCreateArgs({ cluster: 'elab12cd', config: '/w/.lab/kind.yaml', kubeconfig: '/w/.kube/config' }), [
    'create',
    'cluster',
    '--name',
    'elab12cd',
    '--config',
    '/w/.lab/kind.yaml',
    '--kubeconfig',
    '/w/.kube/config',
  ]);
  assert.deepEqual(kindCreateArgs({ cluster: 'c', config: 'k', kubeconfig: 'kc', nodeImage: 'kindest/node:v1' }).slice(-2), ['--image', 'kindest/node:v1']);
  assert.deepEqual(kindLoadArgs('elab12cd', ['a:1', 'b:2']), ['load', 'docker-image', '--name', 'elab12cd', 'a:1', 'b:2']);
});

test('the rendered kind config gets the instance name and keeps the rest', () => {
  const text =
    'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: whatever\nnodes: [{role: control-plane}, {role: worker}]\nnetworking: {disableDefaultCNI: true, kubeProxyMode: none}\n';
  const out = parse(renderKindConfig(text, 'elab12cd'));
  assert.equal(out.name, 'elab12cd');
  assert.equal(out.networking.kubeProxyMode, 'none');
  assert.equal(kindNodeCount(text), 2);
  assert.equal(kindNodeCount('kind: Cluster\n'), 1);
  assert.ok(disablesDefaultCni(text));
  assert.ok(!disablesDefaultCni('kind: Cluster\n'));
  assert.throws(() => renderKindConfig('kind: Pod\n', 'x'), /not a kind Cluster config/);
});

test('${KIND_CLUSTER} in values becomes the cluster name (k8sServiceHost of the control plane)', () => {
  assert.equal(renderTokens('k8sServiceHost: ${KIND_CLUSTER}-control-plane\n', 'elab12cd'), 'k8sServiceHost: elab12cd-control-plane\n');
});

test('helm pull, install and template arguments', () => {
  assert.equal(chartFileName(cilium), 'cilium-1.18.0.tgz');
  assert.deepEqual(helmPullArgs(cilium, '/cache'), ['pull', 'cilium', '--repo', 'https://helm.cilium.io', '--version', '1.18.0', '--destination', '/cache']);
  const install = helmInstallArgs(cilium, { chartRef: '/cache/cilium-1.18.0.tgz', values: ['/w/helm/cilium-values.yaml'], kubeconfig: '/w/.kube/config' });
  assert.deepEqual(install, [
    'upgrade',
    '--install',
    'cilium',
    '/cache/cilium-1.18.0.tgz',
    '--namespace',
    'kube-system',
    '--create-namespace',
    '--values',
    '/w/helm/cilium-values.yaml',
    '--kubeconfig',
    '/w/.kube/config',
  ]);
  assert.deepEqual(helmTemplateArgs(cilium, { chartRef: 'c.tgz', values: ['v.yaml'] }), [
    'template',
    'cilium',
    'c.tgz',
    '--namespace',
    'kube-system',
    '--values',
    'v.yaml',
  ]);
  const script = helmScript(cilium, ["it's", 'b']);
  assert.match(script, /^#!\/bin\/bash\n/);
  assert.match(script, /exec helm 'it'\\''s' 'b'\n$/);
});

test('images are collected from containers and initContainers of every rendered document', () => {
  const text = [
    'kind: DaemonSet\nspec:\n  template:\n    spec:\n      initContainers: [{name: a, image: "quay.io/cilium/cilium:v1.18.0"}]\n      containers: [{name: b, image: "quay.io/cilium/cilium:v1.18.0"}]',
    'kind: Deployment\nspec:\n  template:\n    spec:\n      containers: [{name: op, image: "quay.io/cilium/operator-generic:v1.18.0"}]',
    '# only a comment',
    'kind: ConfigMap\ndata: {image: "not-a-container"}',
  ].join('\n---\n');
  assert.deepEqual(imagesInManifests(text), ['quay.io/cilium/cilium:v1.18.0', 'quay.io/cilium/operator-generic:v1.18.0']);
});

test('exec targets: host by default, kind nodes by full or short name, pods by pod/ns/name[/container]', () => {
  const nodes = ['host', 'elab12cd-control-plane', 'elab12cd-worker', 'elab12cd-worker2'];
  assert.deepEqual(resolveTarget(undefined, 'elab12cd', nodes), { kind: 'host' });
  assert.deepEqual(resolveTarget('host', 'elab12cd', nodes), { kind: 'host' });
  assert.deepEqual(resolveTarget('worker2', 'elab12cd', nodes), { kind: 'node', container: 'elab12cd-worker2' });
  assert.deepEqual(resolveTarget('elab12cd-control-plane', 'elab12cd', nodes), { kind: 'node', container: 'elab12cd-control-plane' });
  assert.deepEqual(resolveTarget('pod/kube-system/cilium-x/cilium-agent', 'elab12cd', nodes), {
    kind: 'pod',
    namespace: 'kube-system',
    pod: 'cilium-x',
    container: 'cilium-agent',
  });
  assert.deepEqual(resolveTarget('pod/default/netpod', 'elab12cd', nodes), { kind: 'pod', namespace: 'default', pod: 'netpod', container: undefined });
  assert.match((resolveTarget('pod/default', 'elab12cd', nodes) as { error: string }).error, /pod\/<namespace>\/<pod>/);
  assert.match((resolveTarget('worker9', 'elab12cd', nodes) as { error: string }).error, /no node "worker9"; nodes: host, elab12cd-control-plane/);
});

test('docker exec arguments pass env and keep the command as one bash -c argument', () => {
  assert.deepEqual(dockerExecArgs('n1', 'iptables-save | grep -c KUBE-SVC', { env: { A: '1' } }), [
    'exec',
    '-i',
    '-e',
    'A=1',
    'n1',
    'bash',
    '-c',
    'iptables-save | grep -c KUBE-SVC',
  ]);
  assert.deepEqual(dockerExecArgs('n1', 'x', { interactive: false, tty: true }), ['exec', '-t', 'n1', 'bash', '-c', 'x']);
});

test('nodes sort control plane first, then workers in numeric order', () => {
  assert.deepEqual(sortNodes(['c-worker10', 'c-worker2', 'c-control-plane', 'c-worker']), ['c-control-plane', 'c-worker', 'c-worker2', 'c-worker10']);
});

test('pids of node containers come from /proc/<pid>/cgroup (v1 and v2, systemd and cgroupfs)', () => {
  const id = 'a'.repeat(64);
  const other = 'b'.repeat(64);
  const procs: [number, string][] = [
    [10, `0::/system.slice/docker-${id}.scope/kubelet.slice\n`],
    [11, `12:pids:/docker/${id}/kubepods/besteffort\n`],
    [12, `0::/system.slice/docker-${other}.scope\n`],
    [13, '0::/user.slice\n'],
  ];
  assert.deepEqual([...pidsOfContainers(procs, [id])].sort(), [10, 11]);
  assert.equal(pidsOfContainers(procs, []).size, 0);
});
