import type { TopologySpec } from '@ebpf-lab/lab-spec';
import { planTopology } from '../netns/topology.ts';
import { shq } from './guest-program.ts';

/**
 * A cluster lab on Vagrant VMs (libvirt, VirtualBox): every node is a VM of its own on one private
 * network (eth1, the node's ip from lab.yaml), routing each other node's pod CIDR to that node
 * (native routing, no NAT, as in the netns model). Pods are network namespaces inside their node's
 * VM, wired like the netns driver's (eth0 with a /32, lxc-<pod> on the node, the pod CIDR's first
 * address as gateway). Addresses and checks come from planTopology, so every driver builds the
 * same cluster from lab.yaml.
 *
 * labd talks to the first node only (one SSH connection). That VM holds the lab's files; its
 * `lab-on` reaches members on other VMs over the private network with the instance's key.
 */
export interface ClusterNode {
  name: string;
  ip: string;
  podCidr: string;
}
export interface ClusterPod {
  name: string;
  node: string;
  ip: string;
  gateway: string;
  hostDev: string;
}
/** lab.yaml's outside host (an internet stand-in): a namespace in the first node's VM on the private network. */
export interface ClusterOutside {
  name: string;
  node: string;
  ip: string;
  uplink: string;
}
export interface Cluster {
  nodes: ClusterNode[];
  pods: ClusterPod[];
  outside?: ClusterOutside;
}

/** True when the lab needs more than one plain machine: several nodes, or pods. */
export const isCluster = (topo: TopologySpec) => topo.nodes.length > 1 || topo.pods.length > 0;

/** Throws (planTopology's message) when the topology cannot be built. One plain machine: no addresses. */
export function planCluster(id: string, topo: TopologySpec): Cluster {
  if (!isCluster(topo)) return { nodes: [{ name: topo.nodes[0]!.name, ip: '', podCidr: '' }], pods: [] };
  const plan = planTopology(id, topo);
  const nodes = topo.nodes.map((n) => ({ name: n.name, ip: plan.addresses[n.name]!.ip!, podCidr: plan.addresses[n.name]!.podCidr! }));
  const pods = topo.pods.map((p) => {
    const a = plan.addresses[p.name]!;
    return { name: p.name, node: a.node!, ip: a.ip!, gateway: a.gateway!, hostDev: a.hostDev! };
  });
  const o = topo.outside;
  const outside = o ? { name: o.name, node: nodes[0]!.name, ip: o.ip, uplink: plan.addresses[o.name]!.uplinkIp! } : undefined;
  return { nodes, pods, ...(outside ? { outside } : {}) };
}

/** LAB_NODES for vagrant/Vagrantfile: name:ip:podcidr,... */
export const labNodesEnv = (c: Cluster) => c.nodes.map((n) => `${n.name}:${n.ip}:${n.podCidr}`).join(',');

/** ssh between the lab's own VMs: the private network is the lab's alone, host keys are made at boot. */
const GUEST_SSH =
  'ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=20 -o ControlMaster=auto -o ControlPath=/run/elab-ssh-%h -o ControlPersist=600';

/**
 * The guest's lab-on. On the member's own VM it runs the command there (in the pod's netns);
 * otherwise it first copies what changed in the workdir since the last copy to that VM (by
 * mtime; files newer there are kept), so ./bpf/.output/x built on one node runs on another,
 * then runs `lab-on MEMBER CMD` there over SSH, in the same directory.
 */
export const CLUSTER_LAB_ON = `#!/bin/bash
# lab-on MEMBER CMD... inside a vagrant cluster VM (written by labd's vagrant driver).
# Bash builtins where it can: under TCG every exec costs ~30x what it does on the host.
. /etc/elab/cluster
members=() node='' kind=''
while read -r name on what; do
  members+=("$name")
  [ "$name" = "$1" ] && node=$on kind=$what
done </etc/elab/members
if [ $# -lt 2 ]; then echo "usage: lab-on MEMBER CMD [ARGS...]   (members: \${members[*]})" >&2; exit 2; fi
m=$1; shift
if [ -z "$node" ]; then echo "lab-on: this lab has no member \\"$m\\" (members: \${members[*]})" >&2; exit 2; fi
if [ "$node" = "$SELF" ]; then
  [ "$kind" != node ] && exec nsenter --net="/run/netns/el$ID-$m" -- "$@"
  exec "$@"
fi
while read -r name addr; do [ "$name" = "$node" ] && ip=$addr; done </etc/elab/nodes
SSH=(${GUEST_SSH})
stamp=/run/elab-sync-$node
if [ -d "$WORKDIR" ]; then
  exec 8>"$stamp.lock"; flock 8
  if [ -e "$stamp" ]; then new=(-newer "$stamp"); else new=(); fi
  if [ -n "$(find "$WORKDIR" "\${new[@]}" \\( -type f -o -type l \\) -print -quit)" ]; then
    : >"$stamp.next"
    (cd "$WORKDIR" && find . "\${new[@]}" \\( -type f -o -type l \\) -print0 | tar --null -T - -cf -) |
      "\${SSH[@]}" "root@$ip" "mkdir -p $WORKDIR && tar -C $WORKDIR --keep-newer-files -xf - 2>/dev/null; true" ||
      { echo "lab-on: copying $WORKDIR to $node ($ip) failed" >&2; exit 255; }
    mv "$stamp.next" "$stamp"
  fi
  exec 8>&-
fi
t=(); [ -t 0 ] && [ -t 1 ] && t=(-tt)
printf -v cmd '%q ' "$m" "$@"
printf -v cwd '%q' "$PWD"
printf -v labid '%q' "\${LAB_ID:-}"
exec "\${SSH[@]}" "\${t[@]}" "root@$ip" "cd $cwd 2>/dev/null || cd /; export LAB_ID=$labid LAB_INSTANCE=$ID LAB_WORKDIR=$WORKDIR LAB_NODE=$node; exec lab-on $cmd"
`;

/**
 * The model's node has its cluster NIC as eth0 (lessons and solutions say `-o eth0`, tc on eth0);
 * our box boots with libvirt's management NIC (labd's SSH) as eth0 and the private network as
 * eth1. They are renamed in place, once: mgmt0 and eth0. Addresses stay on a link going down, and
 * the SSH connection over it rides out the moment (TCP resends); the routes through it go, and are
 * set again below. HUP is ignored so that even a dropped session cannot stop this half-way.
 * The VM holding the outside host puts it and its own address on macvlans of the private NIC
 * (lan0): the outside is then on the nodes' segment like another machine, and this node reaches it
 * too (a macvlan's parent cannot; its siblings in bridge mode can). That node is wired before any
 * other node has talked to it, so nobody caches the NIC's own MAC for its address.
 */
function nicProgram(me: ClusterNode, id: string, outside: ClusterOutside | undefined): string[] {
  const lines = [
    // Once: a second run would take the renamed cluster NIC down.
    'if [ -e /sys/class/net/eth1 ]; then',
    "trap '' HUP PIPE",
    'gw=$(ip -4 route show default dev eth0 | { read -r _ _ g _; echo "$g"; })',
    'ip link set eth0 down',
    'ip link set eth0 name mgmt0',
    'ip link set mgmt0 up',
    'ip link set eth1 down',
  ];
  if (outside?.node === me.name) {
    const ons = `el${id}-${outside.name}`;
    lines.push(
      'modprobe macvlan 2>/dev/null || true',
      'ip link set eth1 name lan0',
      'ip addr flush dev lan0',
      // The NIC itself holds no address: it must not answer ARP for its macvlans' (the weak host model would).
      'sysctl -qw net.ipv4.conf.lan0.arp_ignore=1',
      'ip link set lan0 up',
      'ip link add eth0 link lan0 type macvlan mode bridge',
      `ip addr add ${me.ip}/24 dev eth0`,
      'ip link set eth0 up',
      `ip netns add ${ons}`,
      `ip -n ${ons} link set lo up`,
      // rp_filter off as on the nodes: an un-masqueraded packet from a pod must arrive (and show in tcpdump).
      `ip netns exec ${ons} sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0`,
      `ip -n ${ons} addr add ${outside.ip}/32 dev lo`,
      `ip link add elo${id} link lan0 type macvlan mode bridge`,
      `ip link set elo${id} netns ${ons}`,
      `ip -n ${ons} link set elo${id} name eth0`,
      `ip -n ${ons} addr add ${outside.uplink}/24 dev eth0`,
      `ip -n ${ons} link set eth0 up`,
    );
  } else {
    lines.push('ip link set eth1 name eth0', 'ip link set eth0 up', `ip addr show dev eth0 | grep -q ' ${me.ip}/' || ip addr add ${me.ip}/24 dev eth0`);
  }
  // Every node's default gateway is the outside host, as in the netns model; without one, libvirt's again.
  if (!outside) lines.push('[ -z "$gw" ] || ip route replace default via "$gw" dev mgmt0');
  return [...lines, 'fi'];
}

/** Writes the cluster files, lab-on and this VM's pods and NICs; idempotent apart from the pods (run once). */
export function nodeProgram(id: string, c: Cluster, self: string, workdir: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const o = c.outside;
  const members = [
    ...c.nodes.map((n) => `${n.name} ${n.name} node`),
    ...c.pods.map((p) => `${p.name} ${p.node} pod`),
    ...(o ? [`${o.name} ${o.node} outside`] : []),
  ].join('\n');
  const me = c.nodes.find((n) => n.name === self)!;
  const lines = [
    'set -e',
    'mkdir -p /etc/elab',
    `mkdir -p ${shq(workdir)}`,
    `printf '%s' ${b64(`ID=${id}\nSELF=${self}\nWORKDIR=${workdir}\n`)} | base64 -d >/etc/elab/cluster`,
    `printf '%s' ${b64(`${members}\n`)} | base64 -d >/etc/elab/members`,
    `printf '%s' ${b64(`${c.nodes.map((n) => `${n.name} ${n.ip}`).join('\n')}\n`)} | base64 -d >/etc/elab/nodes`,
    `printf '%s' ${b64(CLUSTER_LAB_ON)} | base64 -d >/usr/local/bin/lab-on`,
    'chmod 0755 /usr/local/bin/lab-on',
    'sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0',
    // The Vagrantfile put the address on eth1 already (our box: the kernel command line).
    ...(me.ip ? nicProgram(me, id, o) : []),
    ...c.nodes.filter((n) => n.name !== self).map((n) => `ip route replace ${n.podCidr} via ${n.ip} dev eth0`),
    ...(o ? [`ip route replace default via ${o.uplink} dev eth0`] : []),
  ];
  for (const p of c.pods.filter((x) => x.node === self)) {
    const ns = `el${id}-${p.name}`;
    lines.push(
      `ip netns add ${ns}`,
      `ip -n ${ns} link set lo up`,
      `ip link add ${p.hostDev} type veth peer name eth0 netns ${ns}`,
      `ip -n ${ns} addr add ${p.ip}/32 dev eth0`,
      `ip -n ${ns} link set eth0 up`,
      `ip -n ${ns} route add ${p.gateway} dev eth0 scope link`,
      `ip -n ${ns} route add default via ${p.gateway} dev eth0`,
      `ip addr add ${p.gateway}/32 dev ${p.hostDev}`,
      `ip link set ${p.hostDev} up`,
      `ip route add ${p.ip}/32 dev ${p.hostDev}`,
    );
  }
  return lines.join('\n');
}

/**
 * Runs on the first node: installs the instance's key (for lab-on's SSH to the others, which
 * authorize it from their kernel command line), then builds every node, the others over SSH.
 */
export function clusterSetupProgram(id: string, c: Cluster, workdir: string, privateKey: string): string {
  const first = c.nodes[0]!.name;
  const lines = [
    // The NICs change under this session (nicProgram): a hang-up must not stop it between two nodes.
    'set -e',
    "trap '' HUP",
    'install -d -m 0700 /root/.ssh',
    `printf '%s' ${Buffer.from(privateKey).toString('base64')} | base64 -d >/root/.ssh/id_ed25519`,
    'chmod 0600 /root/.ssh/id_ed25519',
  ];
  for (const n of c.nodes) {
    const prog = Buffer.from(nodeProgram(id, c, n.name, workdir)).toString('base64');
    // The whole program first, then run: bash reading it from the session would stop where a dropped one ends.
    const where = n.name === first ? 'bash' : `${GUEST_SSH} root@${n.ip} 'f=$(mktemp) && cat >"$f" && bash "$f"; r=$?; rm -f "$f"; exit $r'`;
    lines.push(`printf '%s' ${prog} | base64 -d | ${where} || { echo "building node ${n.name} (${n.ip}) failed" >&2; exit 1; }`);
  }
  return lines.join('\n');
}
