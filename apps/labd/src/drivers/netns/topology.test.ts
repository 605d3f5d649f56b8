import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TopologySpec } from '@ebpf-lab/lab-spec';
import { IFNAME_MAX, planTopology } from './topology.ts';

const ID = 'ab12cd';

/** The three-node model cluster of lesson 3, with Cilium-like names at the 10-character limit. */
const cluster = TopologySpec.parse({
  nodes: [
    { name: 'k8s-s', ip: '192.168.10.10', podCidr: '172.16.0.0/24' },
    { name: 'k8s-w1', ip: '192.168.10.101', podCidr: '172.16.1.0/24' },
    { name: 'k8s-w2', ip: '192.168.10.102', podCidr: '172.16.2.0/24' },
  ],
  pods: [
    { name: 'netpod', node: 'k8s-s', ip: '172.16.0.11', labels: { app: 'netpod' } },
    { name: 'webpod1', node: 'k8s-w1', labels: { app: 'webpod' } },
    { name: 'webpod2', node: 'k8s-w2' },
    { name: 'tiefighter', node: 'k8s-s' },
  ],
});

const commands = (script: string) => script.split('\n');

/** Every interface name the script gives the kernel: `link add NAME`, `peer name NAME`, `dev NAME`. */
function interfaceNames(script: string): string[] {
  return [...script.matchAll(/(?:link add|peer name|dev) (\S+)/g)].map((m) => m[1]!);
}

test('a single node is one namespace with loopback and nothing else', () => {
  const plan = planTopology(ID, TopologySpec.parse({}));
  assert.deepEqual(plan.members, [{ name: 'lab', kind: 'node', netns: 'elab12cd-lab' }]);
  assert.deepEqual(commands(plan.script), ['ip netns add elab12cd-lab', 'ip -n elab12cd-lab link set lo up']);
  assert.deepEqual(plan.addresses, { lab: {} });
});

test('model cluster: a node namespace per node, a pod namespace per pod, one switch', () => {
  const plan = planTopology(ID, cluster);
  assert.deepEqual(
    plan.members.map((m) => `${m.kind}:${m.name}:${m.netns}`),
    [
      'node:k8s-s:elab12cd-k8s-s',
      'node:k8s-w1:elab12cd-k8s-w1',
      'node:k8s-w2:elab12cd-k8s-w2',
      'switch:sw:elab12cd-sw',
      'pod:netpod:elab12cd-netpod',
      'pod:webpod1:elab12cd-webpod1',
      'pod:webpod2:elab12cd-webpod2',
      'pod:tiefighter:elab12cd-tiefighter',
    ],
  );
});

test("model cluster: every interface name fits the kernel's 15 characters", () => {
  const names = interfaceNames(planTopology(ID, cluster).script);
  assert.ok(names.includes('lxc-tiefighter') && names.includes('n-k8s-w1') && names.includes('eth0'));
  for (const n of names) assert.ok(n.length <= IFNAME_MAX, `${n} is ${n.length} characters`);
});

test('model cluster: nothing is created in the host namespace', () => {
  for (const c of commands(planTopology(ID, cluster).script)) {
    // Each command names its namespace: `ip -n NS …`, `ip netns add NS` or `ip netns exec NS …`.
    assert.match(c, /^ip (-n elab12cd-\S+ |netns (add|exec) elab12cd-)/, c);
    if (/ link add /.test(c) && / type veth /.test(c))
      assert.match(c, / peer name \S+ netns elab12cd-\S+$/, `${c}: the peer must be created in a lab namespace`);
  }
});

test("model cluster: native routing — each node routes every other node's pod CIDR via that node's IP", () => {
  const script = planTopology(ID, cluster).script;
  const routes = commands(script).filter((c) => / route add 172\.16\.\d\.0\/24 /.test(c));
  assert.deepEqual(routes, [
    'ip -n elab12cd-k8s-s route add 172.16.1.0/24 via 192.168.10.101 dev eth0',
    'ip -n elab12cd-k8s-s route add 172.16.2.0/24 via 192.168.10.102 dev eth0',
    'ip -n elab12cd-k8s-w1 route add 172.16.0.0/24 via 192.168.10.10 dev eth0',
    'ip -n elab12cd-k8s-w1 route add 172.16.2.0/24 via 192.168.10.102 dev eth0',
    'ip -n elab12cd-k8s-w2 route add 172.16.0.0/24 via 192.168.10.10 dev eth0',
    'ip -n elab12cd-k8s-w2 route add 172.16.1.0/24 via 192.168.10.101 dev eth0',
  ]);
  for (const node of ['k8s-s', 'k8s-w1', 'k8s-w2']) {
    assert.ok(script.includes(`ip netns exec elab12cd-${node} sysctl -qw net.ipv4.ip_forward=1`), `${node} forwards`);
  }
});

test('model cluster: pods get their IP as /32, a default route via the gateway, and a /32 route in their node', () => {
  const plan = planTopology(ID, cluster);
  assert.deepEqual(plan.addresses.netpod, { ip: '172.16.0.11', node: 'k8s-s', gateway: '172.16.0.1', hostDev: 'lxc-netpod' });
  // Without an explicit ip, a pod takes the next free host number (.11, .12 …) in its node's CIDR.
  assert.equal(plan.addresses.webpod1!.ip, '172.16.1.11');
  assert.equal(plan.addresses.tiefighter!.ip, '172.16.0.12');
  assert.deepEqual(plan.addresses['k8s-w1'], { ip: '192.168.10.101', podCidr: '172.16.1.0/24' });
  const c = commands(plan.script);
  for (const line of [
    'ip -n elab12cd-netpod link add eth0 type veth peer name lxc-netpod netns elab12cd-k8s-s',
    'ip -n elab12cd-netpod addr add 172.16.0.11/32 dev eth0',
    'ip -n elab12cd-netpod route add default via 172.16.0.1 dev eth0',
    'ip -n elab12cd-k8s-s addr add 172.16.0.1/32 dev lxc-netpod',
    'ip -n elab12cd-k8s-s route add 172.16.0.11/32 dev lxc-netpod',
    'ip -n elab12cd-k8s-w1 link add eth0 type veth peer name n-k8s-w1 netns elab12cd-sw',
    'ip -n elab12cd-k8s-w1 addr add 192.168.10.101/24 dev eth0',
  ])
    assert.ok(c.includes(line), `missing: ${line}`);
});

test('model cluster: node addresses and pod CIDRs default from nodeCidr and 172.16.<i>.0/24', () => {
  const plan = planTopology(ID, TopologySpec.parse({ nodes: [{ name: 'a' }, { name: 'b' }], pods: [{ name: 'p', node: 'b' }] }));
  assert.deepEqual(plan.addresses, {
    a: { ip: '192.168.10.10', podCidr: '172.16.0.0/24' },
    b: { ip: '192.168.10.11', podCidr: '172.16.1.0/24' },
    p: { ip: '172.16.1.11', node: 'b', gateway: '172.16.1.1', hostDev: 'lxc-p' },
  });
});

test('model cluster: inconsistent topologies are refused with the offending names', () => {
  const plan = (t: unknown) => () => planTopology(ID, TopologySpec.parse(t));
  const two = [
    { name: 'a', podCidr: '10.1.0.0/24' },
    { name: 'b', podCidr: '10.2.0.0/24' },
  ];
  assert.throws(plan({ nodes: two, pods: [{ name: 'p', node: 'c' }] }), /pod "p" is on node "c"/);
  assert.throws(plan({ nodes: two, pods: [{ name: 'p', node: 'a', ip: '10.2.0.5' }] }), /outside the pod CIDR 10\.1\.0\.0\/24/);
  assert.throws(plan({ nodes: two, pods: [{ name: 'p', node: 'a', ip: '10.1.0.1' }] }), /gateway/);
  assert.throws(
    plan({
      nodes: two,
      pods: [
        { name: 'p', node: 'a', ip: '10.1.0.12' },
        { name: 'q', node: 'a' },
      ],
    }),
    /pod "q" and pod "p" both have the address 10\.1\.0\.12/,
  );
  assert.throws(plan({ nodes: two, pods: [{ name: 'a', node: 'a' }] }), /"a" is used twice/);
  assert.throws(plan({ nodes: [...two, { name: 'sw' }] }), /"sw" is used twice/);
  assert.throws(
    plan({
      nodes: [
        { name: 'a', podCidr: '10.0.0.0/16' },
        { name: 'b', podCidr: '10.0.3.0/24' },
      ],
    }),
    /overlap/,
  );
  assert.throws(plan({ nodes: [{ name: 'a', ip: '10.9.9.9' }, { name: 'b' }] }), /outside nodeCidr/);
});

test('outside host: on the switch at the uplink address, its own ip behind it, no route to any pod CIDR', () => {
  const plan = planTopology(ID, TopologySpec.parse({ ...cluster, outside: { name: 'internet', ip: '203.0.113.10' } }));
  assert.deepEqual(plan.members.at(-1), { name: 'internet', kind: 'outside', netns: 'elab12cd-internet' });
  assert.deepEqual(plan.addresses.internet, { ip: '203.0.113.10', uplinkIp: '192.168.10.254' });
  const own = commands(plan.script).filter((c) => c.includes('elab12cd-internet'));
  assert.ok(own.includes('ip -n elab12cd-internet addr add 203.0.113.10/32 dev lo'), own.join('\n'));
  assert.ok(own.includes('ip -n elab12cd-internet addr add 192.168.10.254/24 dev eth0'), own.join('\n'));
  assert.deepEqual(
    own.filter((c) => / route add /.test(c)),
    [],
    'the outside host must not know the pod CIDRs',
  );
  // Every node, and only the nodes, leave the cluster through it.
  const defaults = commands(plan.script).filter((c) => / route add default via 192\.168\.10\.254 /.test(c));
  assert.deepEqual(
    defaults.map((c) => c.split(' ')[2]),
    ['elab12cd-k8s-s', 'elab12cd-k8s-w1', 'elab12cd-k8s-w2'],
  );
  for (const n of interfaceNames(plan.script)) assert.ok(n.length <= IFNAME_MAX, n);
});

test('outside host: refused when its addresses belong to the cluster or clash', () => {
  const plan = (outside: unknown) => () => planTopology(ID, TopologySpec.parse({ ...cluster, outside }));
  assert.throws(plan({ name: 'internet', ip: '172.16.1.200' }), /inside 172\.16\.1\.0\/24/);
  assert.throws(plan({ name: 'internet', ip: '192.168.10.77' }), /inside 192\.168\.10\.0\/24/);
  assert.throws(plan({ name: 'internet', ip: '203.0.113.10', uplinkIp: '192.168.10.101' }), /both have the address 192\.168\.10\.101/);
  assert.throws(plan({ name: 'internet', ip: '203.0.113.10', uplinkIp: '10.0.0.1' }), /outside nodeCidr/);
  assert.throws(plan({ name: 'netpod', ip: '203.0.113.10' }), /"netpod" is used twice/);
});
