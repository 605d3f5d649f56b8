import type { LoadedLab, TopologySpec } from '@ebpf-lab/lab-spec';
import type { Support } from '../types.ts';

/** One network namespace of a lab: a node, a pod, the host outside the cluster, or the switch that joins them. */
export interface Member {
  name: string;
  kind: 'node' | 'pod' | 'outside' | 'switch';
  netns: string;
}

export interface MemberAddress {
  ip?: string;
  /** Nodes: the pod CIDR they route. Pods: the node they run on, their gateway and host-side veth. */
  podCidr?: string;
  node?: string;
  gateway?: string;
  hostDev?: string;
  /** The outside host: its address on the nodes' segment, which is every node's default gateway. */
  uplinkIp?: string;
}

export interface TopologyPlan {
  members: Member[];
  /** bash commands that build the whole network; run once with `set -e`. */
  script: string;
  /** Where each node and pod lives, for the lesson and for checks. */
  addresses: Record<string, MemberAddress>;
}

export { PREFIX_RE, prefixOf } from '../lab-names.ts';
import { prefixOf } from '../lab-names.ts';

/** The kernel's limit for interface names (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;
const SWITCH = 'sw';

const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
const prefixLen = (cidr: string) => Number(cidr.split('/')[1]);

function inCidr(ip: string, cidr: string): boolean {
  const size = 2 ** (32 - prefixLen(cidr));
  const base = Math.floor(toInt(cidr.split('/')[0]!) / size) * size;
  return toInt(ip) >= base && toInt(ip) < base + size;
}

/** The address `host` places into the network of `cidr` (host 1 of 172.16.0.0/24 is 172.16.0.1). */
function ipAt(cidr: string, host: number): string {
  const size = 2 ** (32 - prefixLen(cidr));
  return toIp(Math.floor(toInt(cidr.split('/')[0]!) / size) * size + host);
}

function checkName(name: string, what: string): void {
  if (name.length > IFNAME_MAX) throw new Error(`topology: ${what} "${name}" is ${name.length} characters; interface names stop at ${IFNAME_MAX}`);
}

/**
 * Plans the namespaces and links. Every veth is created with each end already in its namespace
 * (`ip -n A link add eth0 … peer name lxc-x netns B`), so no interface ever exists in the host
 * namespace, not even for a moment. Names the kernel sees: eth0 (node and pod side), n-<node>
 * (switch port) and lxc-<pod> (the pod's host-side veth in its node, as Cilium names them).
 *
 * Model cluster: nodes share one L2 segment (a bridge in a switch namespace); each node forwards
 * and routes every other node's pod CIDR via that node's IP (native routing, no overlay, no NAT).
 * A pod has its IP as a /32 on eth0 and a default route via its node's gateway, the first address
 * of the pod CIDR, which the node puts on each lxc-* (a /32, so it adds no on-link route).
 */
export function planTopology(id: string, topo: TopologySpec): TopologyPlan {
  const p = prefixOf(id);
  const ns = (name: string) => `${p}-${name}`;
  const members: Member[] = [];
  const lines: string[] = [];
  const addresses: TopologyPlan['addresses'] = {};
  const cluster = topo.nodes.length > 1 || topo.pods.length > 0 || topo.outside !== undefined;

  for (const node of topo.nodes) {
    members.push({ name: node.name, kind: 'node', netns: ns(node.name) });
    lines.push(`ip netns add ${ns(node.name)}`, `ip -n ${ns(node.name)} link set lo up`);
  }
  if (!cluster) return { members, script: lines.join('\n'), addresses: { [topo.nodes[0]!.name]: {} } };

  const names = new Set<string>([SWITCH]);
  const used = new Map<string, string>();
  const claim = (ip: string, who: string) => {
    const had = used.get(ip);
    if (had) throw new Error(`topology: ${who} and ${had} both have the address ${ip}`);
    used.set(ip, who);
  };
  for (const n of [...topo.nodes, ...topo.pods, ...(topo.outside ? [topo.outside] : [])]) {
    if (names.has(n.name)) throw new Error(`topology: the name "${n.name}" is used twice (nodes, pods and "${SWITCH}" share one namespace list)`);
    names.add(n.name);
  }

  // The switch namespace holds the bridge, so nothing of the lab touches the host's interfaces.
  const sw = ns(SWITCH);
  members.push({ name: SWITCH, kind: 'switch', netns: sw });
  lines.push(`ip netns add ${sw}`, `ip -n ${sw} link set lo up`, `ip -n ${sw} link add br0 type bridge`, `ip -n ${sw} link set br0 up`);

  const nodeIp = new Map<string, string>();
  const nodeCidr = new Map<string, string>();
  topo.nodes.forEach((node, i) => {
    const ip = node.ip ?? ipAt(topo.nodeCidr, 10 + i);
    const podCidr = node.podCidr ?? `172.16.${i}.0/24`;
    if (!inCidr(ip, topo.nodeCidr)) throw new Error(`topology: node "${node.name}" has ip ${ip}, outside nodeCidr ${topo.nodeCidr}`);
    for (const [other, c] of nodeCidr) {
      if (inCidr(podCidr.split('/')[0]!, c) || inCidr(c.split('/')[0]!, podCidr))
        throw new Error(`topology: pod CIDRs of "${node.name}" (${podCidr}) and "${other}" (${c}) overlap`);
    }
    claim(ip, `node "${node.name}"`);
    nodeIp.set(node.name, ip);
    nodeCidr.set(node.name, podCidr);
    addresses[node.name] = { ip, podCidr };
    const nns = ns(node.name),
      port = `n-${node.name}`;
    checkName(port, 'switch port');
    lines.push(
      // rp_filter off before any link exists, so every interface inherits it from "default".
      `ip netns exec ${nns} sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0`,
      `ip -n ${nns} link add eth0 type veth peer name ${port} netns ${sw}`,
      `ip -n ${sw} link set ${port} master br0 up`,
      `ip -n ${nns} addr add ${ip}/${prefixLen(topo.nodeCidr)} dev eth0`,
      `ip -n ${nns} link set eth0 up`,
    );
  });
  // Native routing: every node routes each other node's pod CIDR to that node's IP.
  for (const node of topo.nodes) {
    for (const other of topo.nodes) {
      if (other.name !== node.name) lines.push(`ip -n ${ns(node.name)} route add ${nodeCidr.get(other.name)} via ${nodeIp.get(other.name)} dev eth0`);
    }
  }

  const podsPerNode = new Map<string, number>();
  for (const pod of topo.pods) {
    const cidr = nodeCidr.get(pod.node);
    if (!cidr) throw new Error(`topology: pod "${pod.name}" is on node "${pod.node}", which the topology does not define`);
    const k = (podsPerNode.get(pod.node) ?? 0) + 1;
    podsPerNode.set(pod.node, k);
    const gw = ipAt(cidr, 1);
    const ip = pod.ip ?? ipAt(cidr, 10 + k);
    if (!inCidr(ip, cidr)) throw new Error(`topology: pod "${pod.name}" has ip ${ip}, outside the pod CIDR ${cidr} of its node "${pod.node}"`);
    if (ip === gw || ip === ipAt(cidr, 0)) throw new Error(`topology: pod "${pod.name}" cannot have ${ip}: it is the network or gateway address of ${cidr}`);
    claim(ip, `pod "${pod.name}"`);
    const pns = ns(pod.name),
      nns = ns(pod.node),
      lxc = `lxc-${pod.name}`;
    checkName(lxc, 'host-side veth');
    addresses[pod.name] = { ip, node: pod.node, gateway: gw, hostDev: lxc };
    members.push({ name: pod.name, kind: 'pod', netns: pns });
    lines.push(
      `ip netns add ${pns}`,
      `ip -n ${pns} link set lo up`,
      `ip -n ${pns} link add eth0 type veth peer name ${lxc} netns ${nns}`,
      `ip -n ${pns} addr add ${ip}/32 dev eth0`,
      `ip -n ${pns} link set eth0 up`,
      `ip -n ${pns} route add ${gw} dev eth0 scope link`,
      `ip -n ${pns} route add default via ${gw} dev eth0`,
      `ip -n ${nns} addr add ${gw}/32 dev ${lxc}`,
      `ip -n ${nns} link set ${lxc} up`,
      `ip -n ${nns} route add ${ip}/32 dev ${lxc}`,
    );
  }
  if (topo.outside) lines.push(...planOutside(topo, ns, sw, claim, [...nodeCidr.values()], members, addresses));
  return { members, script: lines.join('\n'), addresses };
}

/**
 * The outside host: a port on the nodes' switch with `uplinkIp` (default: the last host address
 * of nodeCidr), its own `ip` on loopback behind it, and no route to any pod CIDR. Every node
 * gets a default route via the uplink, so a pod's packet for the outside leaves through its node's
 * eth0; the reply finds its way back only if the node rewrote the source to its own address.
 */
function planOutside(
  topo: TopologySpec,
  ns: (n: string) => string,
  sw: string,
  claim: (ip: string, who: string) => void,
  podCidrs: string[],
  members: Member[],
  addresses: TopologyPlan['addresses'],
): string[] {
  const o = topo.outside!;
  const uplink = o.uplinkIp ?? ipAt(topo.nodeCidr, 2 ** (32 - prefixLen(topo.nodeCidr)) - 2);
  if (!inCidr(uplink, topo.nodeCidr)) throw new Error(`topology: outside "${o.name}" has uplinkIp ${uplink}, outside nodeCidr ${topo.nodeCidr}`);
  for (const c of [topo.nodeCidr, ...podCidrs]) {
    if (inCidr(o.ip, c))
      throw new Error(`topology: outside "${o.name}" has ip ${o.ip}, inside ${c}: an outside host needs an address the cluster does not own`);
  }
  claim(uplink, `outside "${o.name}"`);
  claim(o.ip, `outside "${o.name}"`);
  const ons = ns(o.name),
    port = `n-${o.name}`;
  checkName(port, 'switch port');
  members.push({ name: o.name, kind: 'outside', netns: ons });
  addresses[o.name] = { ip: o.ip, uplinkIp: uplink };
  return [
    `ip netns add ${ons}`,
    `ip -n ${ons} link set lo up`,
    // rp_filter off as on the nodes: an un-masqueraded packet from a pod must arrive (and be
    // seen in tcpdump) even though no reply can go back; strict rp_filter would hide it.
    `ip netns exec ${ons} sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0`,
    `ip -n ${ons} addr add ${o.ip}/32 dev lo`,
    `ip -n ${ons} link add eth0 type veth peer name ${port} netns ${sw}`,
    `ip -n ${sw} link set ${port} master br0 up`,
    `ip -n ${ons} addr add ${uplink}/${prefixLen(topo.nodeCidr)} dev eth0`,
    `ip -n ${ons} link set eth0 up`,
    ...topo.nodes.map((n) => `ip -n ${ns(n.name)} route add default via ${uplink} dev eth0`),
  ];
}

/** Whether a lab's topology can be planned at all (netns, and vm which runs the same plan in its guest). */
export function topologySupport(lab: LoadedLab): Support {
  try {
    planTopology('xxxxxx', lab.spec.topology);
  } catch (e) {
    return { ok: false, why: (e as Error).message, fix: `fix the topology in ${lab.dir}/lab.yaml` };
  }
  return { ok: true };
}
