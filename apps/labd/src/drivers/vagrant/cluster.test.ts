import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { loadLab } from '@ebpf-lab/lab-spec';
import { config, configOf } from '../../config.ts';
import { CLUSTER_LAB_ON, clusterSetupProgram, isCluster, labNodesEnv, nodeProgram, planCluster } from './cluster.ts';
import { VagrantDriver } from './vagrant-driver.ts';

const podToPod = loadLab(`${config().repoRoot}/labs/pod-to-pod`);
const hello = loadLab(`${config().repoRoot}/labs/hello-ebpf`);

test("pod-to-pod: LAB_NODES carries lab.yaml's nodes, ips and pod CIDRs (the study group's cluster)", () => {
  const c = planCluster('abc123', podToPod.spec.topology);
  assert.equal(labNodesEnv(c), 'k8s-s:192.168.10.10:172.16.0.0/24,k8s-w1:192.168.10.101:172.16.1.0/24,k8s-w2:192.168.10.102:172.16.2.0/24');
  assert.deepEqual(
    c.pods.find((p) => p.name === 'deathstar'),
    { name: 'deathstar', node: 'k8s-w2', ip: '172.16.2.12', gateway: '172.16.2.1', hostDev: 'lxc-deathstar' },
  );
  assert.equal(isCluster(hello.spec.topology), false);
  assert.deepEqual(
    planCluster('abc123', hello.spec.topology).nodes.map((n) => n.ip),
    [''],
  );
});

test("a node builds only its own pods and routes the other nodes' pod CIDRs over eth0, the cluster NIC as in the model", () => {
  const c = planCluster('abc123', podToPod.spec.topology);
  const w2 = nodeProgram('abc123', c, 'k8s-w2', '/srv/lab');
  assert.match(w2, /ip link add lxc-deathstar type veth peer name eth0 netns elabc123-deathstar/);
  assert.doesNotMatch(w2, /lxc-netpod/);
  assert.match(w2, /ip link set eth0 name mgmt0\n[^]*ip link set eth1 name eth0\n/, 'management NIC out of the way, the private one is eth0');
  assert.match(w2, /ip route replace 172\.16\.0\.0\/24 via 192\.168\.10\.10 dev eth0/);
  assert.doesNotMatch(w2, /172\.16\.2\.0\/24 via/);
  assert.match(w2, /ip route replace default via 192\.168\.10\.254 dev eth0/, "the outside host is every node's default gateway");
  const all = clusterSetupProgram('abc123', c, '/srv/lab', 'KEY');
  assert.match(all, /root@192\.168\.10\.101 'f=/);
  assert.doesNotMatch(all, /root@192\.168\.10\.10 /, 'the first node builds itself, without SSH');
  for (const prog of [w2, all, CLUSTER_LAB_ON]) assert.equal(spawnSync('bash', ['-n'], { input: prog }).status, 0, 'valid bash');
});

test("the outside host (lab.yaml topology.outside) is a namespace on the first node's VM, on the private segment", () => {
  const c = planCluster('abc123', podToPod.spec.topology);
  assert.deepEqual(c.outside, { name: 'internet', node: 'k8s-s', ip: '203.0.113.10', uplink: '192.168.10.254' });
  const s = nodeProgram('abc123', c, 'k8s-s', '/srv/lab');
  // The node's own address and the outside's uplink are macvlan siblings, so the node reaches it too.
  assert.match(s, /ip link add eth0 link lan0 type macvlan mode bridge\nip addr add 192\.168\.10\.10\/24 dev eth0/);
  assert.match(s, /ip -n elabc123-internet addr add 203\.0\.113\.10\/32 dev lo/);
  assert.match(s, /ip -n elabc123-internet addr add 192\.168\.10\.254\/24 dev eth0/);
  assert.doesNotMatch(s, /ip -n elabc123-internet route add 172\.16/, 'no route to any pod CIDR');
  assert.match(Buffer.from(/printf '%s' (\S+) \| base64 -d >\/etc\/elab\/members/.exec(s)![1]!, 'base64').toString(), /^internet k8s-s outside$/m);
  assert.doesNotMatch(nodeProgram('abc123', c, 'k8s-w1', '/srv/lab'), /internet|macvlan/);
});

test('supports(): a cluster on libvirt only; docker is refused with the way to run it', () => {
  assert.deepEqual(new VagrantDriver({ settings: configOf({ ELAB_VAGRANT_PROVIDER: 'libvirt' }).vagrant }).supports(podToPod), { ok: true });
  const r = new VagrantDriver({ settings: configOf({ ELAB_VAGRANT_PROVIDER: 'docker' }).vagrant }).supports(podToPod);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.why, /3 node\(s\) and 6 pod\(s\)/);
    assert.match(r.fix, /ELAB_VAGRANT_PROVIDER=libvirt/);
  }
  assert.deepEqual(new VagrantDriver({ settings: configOf({}).vagrant }).supports(hello), { ok: true });
});
