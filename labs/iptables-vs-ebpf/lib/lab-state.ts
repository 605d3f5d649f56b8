import type { CheckContext } from '@ebpf-lab/check-sdk';

// Reads the two datapaths of this lab from structured sources: iptables-save output (both
// backends) and bpftool's JSON (the cgroup attachment, the program's maps, a raw map dump).

export const BACKENDS = ['nft', 'legacy'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface NatTable {
  backend: Backend;
  /** User chains declared in the table (`:NAME - [0:0]`). */
  chains: string[];
  /** Every `-A` rule, as iptables-save prints it. */
  rules: string[];
  /** KUBE-SERVICES rules that send a ClusterIP to a KUBE-SVC chain: "vip:port" → chain. */
  services: Map<string, string>;
}

/** ClusterIP of service i in kube-rules.py's numbering (svc-1 is 10.96.0.11). */
export function serviceVip(i: number, net = '10.96'): string {
  const idx = i + 10;
  return `${net}.${idx >> 8}.${idx & 255}`;
}

export const FIRST_SERVICE = `${serviceVip(1)}:80`;

/** The nat table of one backend; null when that backend has no nat table in the lab. */
export async function natTable(ctx: CheckContext, backend: Backend): Promise<NatTable | null> {
  // Listing a legacy table would load it; only read it when the lab already has one.
  if (backend === 'legacy') {
    const names = await ctx.exec('cat /proc/net/ip_tables_names 2>/dev/null || true');
    if (!names.stdout.split('\n').includes('nat')) return null;
  }
  const r = await ctx.exec(`iptables-${backend}-save -t nat`);
  if (r.code !== 0) {
    if (/does not exist|Table does not exist|can't initialize/i.test(r.stderr)) return null;
    throw new Error(`iptables-${backend}-save -t nat exited ${r.code}: ${r.stderr.trim().slice(-200)}`);
  }
  return parseNat(backend, r.stdout);
}

export function parseNat(backend: Backend, text: string): NatTable | null {
  const t: NatTable = { backend, chains: [], rules: [], services: new Map() };
  let inNat = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) inNat = line === '*nat';
    else if (!inNat) continue;
    else if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0]!;
      if (!['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].includes(name)) t.chains.push(name);
    } else if (line.startsWith('-A ')) {
      t.rules.push(line);
      const m = /^-A KUBE-SERVICES .*-d (\d+\.\d+\.\d+\.\d+)(?:\/32)? .*--dport (\d+) .*-j (KUBE-SVC-\S+)/.exec(line);
      if (m) t.services.set(`${m[1]}:${m[2]}`, m[3]!);
    }
  }
  return t;
}

export async function natTables(ctx: CheckContext): Promise<NatTable[]> {
  const out: NatTable[] = [];
  for (const b of BACKENDS) {
    const t = await natTable(ctx, b);
    if (t) out.push(t);
  }
  return out;
}

/** Rules in any nat table that name this IP (as -d, --to-destination or anything else). */
export function rulesFor(tables: NatTable[], ip: string): string[] {
  const re = new RegExp(`(^|[\\s:])${ip.replace(/\./g, '\\.')}(/32)?([\\s:]|$)`);
  return tables.flatMap((t) => t.rules.filter((r) => re.test(r)).map((r) => `${t.backend}: ${r}`));
}

export interface SvclbService {
  service: string;
  proto: 'tcp' | 'udp' | string;
  backends: string[];
}
export interface Svclb {
  progId: number;
  mapId: number;
  services: SvclbService[];
}

interface CgroupProg {
  id: number;
  attach_type: string;
  name?: string;
}
interface Prog {
  id: number;
  name?: string;
  map_ids?: number[];
}
interface MapInfo {
  id: number;
  name?: string;
}
interface DumpEntry {
  key: unknown;
  value: unknown;
}

const bytes = (v: unknown): number[] | null =>
  Array.isArray(v) && v.every((b) => typeof b === 'string' && /^0x[0-9a-f]{2}$/i.test(b)) ? v.map((b: string) => Number.parseInt(b, 16)) : null;
const ip4 = (b: number[], at: number) => b.slice(at, at + 4).join('.');
const port = (b: number[], at: number) => (b[at]! << 8) | b[at + 1]!;
const le32 = (b: number[], at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/**
 * The svclb program attached at cgroup/connect4 to this lab's cgroup (the root of the lab's
 * cgroup namespace, so an attachment there is this lab's and no one else's) and the services
 * in its map. Null when nothing named svclb_connect4 is attached there.
 * Map layout (bpf/svclb/svclb.h): key {vip be32, port be16, proto u16}; value {count u32,
 * 16 × {ip be32, port be16, pad u16}}; host byte order for the u16/u32 counters (x86, arm64).
 */
export async function attachedSvclb(ctx: CheckContext): Promise<Svclb | null> {
  // bpftool prints nothing at all (not []) for a cgroup without programs.
  const r = await ctx.exec('bpftool -j cgroup show /sys/fs/cgroup');
  if (r.code !== 0) throw new Error(`bpftool -j cgroup show /sys/fs/cgroup exited ${r.code}: ${r.stderr.trim().slice(-200)}`);
  const attached = (r.stdout.trim() ? JSON.parse(r.stdout) : []) as CgroupProg[];
  const prog = attached.find((p) => p.attach_type === 'cgroup_inet4_connect' && p.name === 'svclb_connect4');
  if (!prog) return null;
  const info = await ctx.json<Prog>(`bpftool -j prog show id ${prog.id}`);
  let mapId = -1;
  for (const id of info.map_ids ?? []) {
    const m = await ctx.json<MapInfo>(`bpftool -j map show id ${id}`);
    if (m.name === 'services') mapId = id;
  }
  if (mapId < 0) return { progId: prog.id, mapId, services: [] };
  const dump = await ctx.json<DumpEntry[]>(`bpftool -j map dump id ${mapId}`);
  const services: SvclbService[] = [];
  for (const e of dump) {
    const k = bytes(e.key),
      v = bytes(e.value);
    if (!k || !v || k.length < 8 || v.length < 4) continue;
    const n = Math.min(le32(v, 0), 16);
    const backends: string[] = [];
    for (let i = 0; i < n && 4 + 8 * i + 6 <= v.length; i++) backends.push(`${ip4(v, 4 + 8 * i)}:${port(v, 8 + 8 * i)}`);
    const proto = k[6]! | (k[7]! << 8);
    services.push({ service: `${ip4(k, 0)}:${port(k, 4)}`, proto: proto === 6 ? 'tcp' : proto === 17 ? 'udp' : String(proto), backends });
  }
  return { progId: prog.id, mapId, services };
}

/** The lab's backend pods as IP:PORT, written by setup.sh. */
export async function labBackends(ctx: CheckContext): Promise<string[]> {
  return ((await ctx.readFile('.lab/backends')) ?? '').split(/\s+/).filter(Boolean);
}
