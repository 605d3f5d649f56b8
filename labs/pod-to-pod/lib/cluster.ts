import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckContext } from '@ebpf-lab/check-sdk';
import { loadLab } from '@ebpf-lab/lab-spec';

// Shared by this lab's checks. The pods, their IPs and labels come from lab.yaml, the same
// source the netns driver built the cluster from, so checks and cluster cannot disagree.

const spec = loadLab(join(dirname(fileURLToPath(import.meta.url)), '..')).spec;

export interface Pod {
  name: string;
  node: string;
  ip: string;
  labels: Record<string, string>;
}

export const pods: Pod[] = spec.topology.pods.map((p) => {
  if (!p.ip) throw new Error(`lab.yaml: pod ${p.name} needs an explicit ip for the checks`);
  return { name: p.name, node: p.node, ip: p.ip, labels: p.labels };
});
export const nodeIps = new Map(spec.topology.nodes.map((n) => [n.ip, n.name]));

/** The internet stand-in beyond the nodes' uplink (lab.yaml topology.outside). */
export const outside = (() => {
  const o = spec.topology.outside;
  if (!o) throw new Error('lab.yaml: the egress step needs topology.outside');
  return o;
})();

/** A node's address on the nodes' segment, by name. */
export function nodeIp(name: string): string {
  const n = spec.topology.nodes.find((x) => x.name === name);
  if (!n?.ip) throw new Error(`lab.yaml has no node ${name} with an explicit ip`);
  return n.ip;
}

export function pod(name: string): Pod {
  const p = pods.find((x) => x.name === name);
  if (!p) throw new Error(`lab.yaml has no pod ${name}`);
  return p;
}

export const labelSet = (p: Pod) =>
  Object.entries(p.labels)
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** Where the policy lives: the deathstar's node, its host-side veth, and the pinned maps there. */
export const POLICY_NODE = pod('deathstar').node;
export const POLICY_DEV = 'lxc-deathstar';
export const PIN_DIR = '/sys/fs/bpf/idpolicy';
export const PROG_NAME = 'to_container';

export interface Whoami {
  hostname?: string;
  remoteIp?: string;
  remotePort?: number;
}

/** Reads traefik/whoami-style text: "Hostname: x" and "RemoteAddr: ip:port" lines. */
export function parseWhoami(text: string): Whoami {
  const out: Whoami = {};
  for (const line of text.split('\n')) {
    const h = /^Hostname:\s*(\S+)/.exec(line);
    if (h) out.hostname = h[1];
    const r = /^RemoteAddr:\s*([\d.]+):(\d+)/.exec(line);
    if (r) {
      out.remoteIp = r[1];
      out.remotePort = Number(r[2]);
    }
  }
  return out;
}

/** curl from one pod to another's port 80. Exit 28 = timed out (dropped), 7 = refused. */
export async function curlFrom(ctx: CheckContext, from: string, to: string, maxTime = 2): Promise<{ code: number; body: string }> {
  // In a slow (emulated, loaded) guest an allowed connection can take longer than 2 s: not a drop.
  const t = Math.ceil(maxTime * (ctx.timeScale ?? 1));
  const r = await ctx.exec(`curl -s --max-time ${t} http://${pod(to).ip}/`, { node: from, timeoutMs: (t + 5) * 1000 });
  return { code: r.code, body: r.stdout };
}

export const curlMeaning = (code: number) =>
  code === 0 ? 'answered' : code === 28 ? 'timed out (curl exit 28: packets dropped)' : code === 7 ? 'connection refused (curl exit 7)' : `curl exit ${code}`;

interface DumpEntry {
  key: unknown;
  value: unknown;
  formatted?: { key: unknown; value: unknown };
}

/**
 * Entries of a map pinned in the policy node's bpffs, as bpftool formats them with BTF;
 * null when nothing is pinned under that name (the learner has not attached idpolicy yet).
 */
export async function dumpPinned<K, V>(ctx: CheckContext, name: string): Promise<{ key: K; value: V }[] | null> {
  const path = `${PIN_DIR}/${name}`;
  const there = await ctx.exec(`test -e ${path}`, { node: POLICY_NODE });
  if (there.code !== 0) return null;
  const dump = await ctx.json<DumpEntry[]>(`bpftool -j map dump pinned ${path}`, { node: POLICY_NODE });
  return dump.map((e) => {
    if (!e.formatted) throw new Error(`bpftool printed ${name} without BTF; rebuild bpf/idpolicy with make -C bpf idpolicy`);
    return { key: e.formatted.key as K, value: e.formatted.value as V };
  });
}

export const ipOf = (key: { addr: number[] }) => key.addr.join('.');

export interface TcEntry {
  devname: string;
  kind: string;
  name?: string;
  id: number;
}

/** tc programs on the deathstar's host-side veth, and which of them are idpolicy's to_container. */
export async function policyTc(ctx: CheckContext): Promise<{ all: TcEntry[]; ours: TcEntry[]; egress?: TcEntry }> {
  const net = await ctx.json<{ tc?: TcEntry[] }[]>(`bpftool -j net show dev ${POLICY_DEV}`, { node: POLICY_NODE });
  const all = net.flatMap((n) => n.tc ?? []);
  const ours = all.filter((t) => (t.name ?? '').split(':')[0] === PROG_NAME);
  return { all, ours, egress: ours.find((t) => t.kind === 'clsact/egress') };
}

/** The IPv4 address a pod's eth0 carries right now (null when it has none). */
export async function liveIp(ctx: CheckContext, name: string): Promise<string | null> {
  const links = await ctx.json<{ addr_info?: { family: string; local: string }[] }[]>('ip -j -4 addr show dev eth0', { node: name });
  return links.flatMap((l) => l.addr_info ?? []).find((a) => a.family === 'inet')?.local ?? null;
}

/** One ping from a pod: the reply's TTL (64 minus the routers on the way back), or null if none came. */
export async function pingTtl(ctx: CheckContext, from: string, ip: string): Promise<number | null> {
  const r = await ctx.exec(`ping -n -c 1 -W 2 ${ip}`, { node: from, timeoutMs: 6000 });
  const m = /ttl=(\d+)/.exec(r.stdout);
  return r.code === 0 && m ? Number(m[1]) : null;
}

/**
 * Whether a whoami pod logged a request from ip:port. whoami.py logs every request's client
 * address (logs/<pod>.log), so a saved answer can be matched with the connection that made it.
 */
export async function serverSaw(ctx: CheckContext, target: string, ip: string, port: number): Promise<boolean> {
  const log = (await ctx.readFile(`logs/${target}.log`)) ?? '';
  return log.split('\n').some((l) => l.startsWith(`${ip}:${port} "GET `));
}
