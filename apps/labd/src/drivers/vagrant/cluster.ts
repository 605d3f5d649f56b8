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
export interface ClusterNode { name: string; ip: string; podCidr: string }
export interface ClusterPod { name: string; node: string; ip: string; gateway: string; hostDev: string }
export interface Cluster { nodes: ClusterNode[]; pods: ClusterPod[] }

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
  return { nodes, pods };
}

/** LAB_NODES for vagrant/Vagrantfile: name:ip:podcidr,... */
export const labNodesEnv = (c: Cluster) => c.nodes.map((n) => `${n.name}:${n.ip}:${n.podCidr}`).join(',');

/** ssh between the lab's own VMs: the private network is the lab's alone, host keys are made at boot. */
const GUEST_SSH = 'ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=20 -o ControlMaster=auto -o ControlPath=/run/elab-ssh-%h -o ControlPersist=600';

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
  [ "$kind" = pod ] && exec nsenter --net="/run/netns/el$ID-$m" -- "$@"
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

/** Writes the cluster files, lab-on and this VM's pods; idempotent apart from the pods (run once). */
export function nodeProgram(id: string, c: Cluster, self: string, workdir: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const members = [...c.nodes.map((n) => `${n.name} ${n.name} node`), ...c.pods.map((p) => `${p.name} ${p.node} pod`)].join('\n');
  const me = c.nodes.find((n) => n.name === self)!;
  const lines = [
    'set -e', 'mkdir -p /etc/elab', `mkdir -p ${shq(workdir)}`,
    `printf '%s' ${b64(`ID=${id}\nSELF=${self}\nWORKDIR=${workdir}\n`)} | base64 -d >/etc/elab/cluster`,
    `printf '%s' ${b64(`${members}\n`)} | base64 -d >/etc/elab/members`,
    `printf '%s' ${b64(`${c.nodes.map((n) => `${n.name} ${n.ip}`).join('\n')}\n`)} | base64 -d >/etc/elab/nodes`,
    `printf '%s' ${b64(CLUSTER_LAB_ON)} | base64 -d >/usr/local/bin/lab-on`, 'chmod 0755 /usr/local/bin/lab-on',
    'sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0',
    // The Vagrantfile sets these already (our box: kernel command line; others: a provisioner).
    ...(me.ip ? [`ip addr show dev eth1 | grep -q ' ${me.ip}/' || { ip link set eth1 up; ip addr add ${me.ip}/24 dev eth1; }`] : []),
    ...c.nodes.filter((n) => n.name !== self).map((n) => `ip route replace ${n.podCidr} via ${n.ip} dev eth1`),
  ];
  for (const p of c.pods.filter((x) => x.node === self)) {
    const ns = `el${id}-${p.name}`;
    lines.push(
      `ip netns add ${ns}`, `ip -n ${ns} link set lo up`,
      `ip link add ${p.hostDev} type veth peer name eth0 netns ${ns}`,
      `ip -n ${ns} addr add ${p.ip}/32 dev eth0`, `ip -n ${ns} link set eth0 up`,
      `ip -n ${ns} route add ${p.gateway} dev eth0 scope link`, `ip -n ${ns} route add default via ${p.gateway} dev eth0`,
      `ip addr add ${p.gateway}/32 dev ${p.hostDev}`, `ip link set ${p.hostDev} up`, `ip route add ${p.ip}/32 dev ${p.hostDev}`,
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
    'set -e', 'install -d -m 0700 /root/.ssh',
    `printf '%s' ${Buffer.from(privateKey).toString('base64')} | base64 -d >/root/.ssh/id_ed25519`, 'chmod 0600 /root/.ssh/id_ed25519',
  ];
  for (const n of c.nodes) {
    const prog = Buffer.from(nodeProgram(id, c, n.name, workdir)).toString('base64');
    const where = n.name === first ? 'bash' : `${GUEST_SSH} root@${n.ip} bash`;
    lines.push(`printf '%s' ${prog} | base64 -d | ${where} || { echo "building node ${n.name} (${n.ip}) failed" >&2; exit 1; }`);
  }
  return lines.join('\n');
}
