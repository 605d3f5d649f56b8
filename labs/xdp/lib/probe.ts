import type { CheckContext } from '@ebpf-lab/check-sdk';

// Shared by this lab's checks: they judge live behaviour. A check sends real UDP packets from a
// node with ./flood and counts what reached lab's UDP layer (/proc/net/snmp in lab's network
// namespace: nothing listens on these ports, so each arrival is a NoPorts datagram) and what
// the drop program counted in its per-CPU map.

export const LAB = 'lab';
export const DEV = 'eth0';
export const IP: Record<string, string> = { lab: '192.168.10.10', gen: '192.168.10.20', client: '192.168.10.30' };
/** The port each datapath guards; 9009 is guarded by none (traffic that must always pass). */
export const PORT = { xdp: 9001, tc: 9002, iptables: 9003, open: 9009 } as const;
export const PROBE_COUNT = 400;

interface NetEntry {
  devname?: string;
  ifindex?: number;
  kind?: string;
  name?: string;
  id?: number;
  prog_id?: number;
  mode?: string;
}
export interface Attached {
  dev: string;
  hook: string;
  name: string;
  id: number;
}

/** Every XDP, tc and tcx program on one node (bpftool net show, all interfaces). */
export async function attachedOn(ctx: CheckContext, node: string): Promise<Attached[]> {
  const r = await ctx.exec('bpftool -j net show', { node });
  if (r.code !== 0) throw new Error(`bpftool -j net show on ${node} exited ${r.code}: ${r.stderr.trim().slice(-200)}`);
  const out: Attached[] = [];
  for (const block of JSON.parse(r.stdout || '[]') as Record<string, NetEntry[]>[]) {
    for (const [kind, entries] of Object.entries(block)) {
      if (!Array.isArray(entries) || !['xdp', 'tc', 'tcx'].includes(kind)) continue;
      for (const e of entries) {
        const id = e.id ?? e.prog_id;
        if (typeof id !== 'number') continue;
        // Entry names are the filter's ("tc_drop:[id]", "file.o:[sec]") or absent (XDP): ask the program.
        const name = (await ctx.json<{ name?: string }>(`bpftool -j prog show id ${id}`, { node })).name ?? '?';
        out.push({ dev: e.devname ?? `ifindex ${e.ifindex}`, hook: kind === 'xdp' ? `xdp/${e.mode ?? '?'}` : (e.kind ?? kind), name, id });
      }
    }
  }
  return out;
}

export const describe = (node: string, a: Attached[]) =>
  a.length ? a.map((x) => `${node}:${x.dev} ${x.hook} ${x.name} (id ${x.id})`).join(', ') : `nothing on ${node}`;

/** Ids of a program's maps by name (bpftool prog show → map_ids → map show). */
export async function mapsOf(ctx: CheckContext, progId: number): Promise<Map<string, number>> {
  const prog = await ctx.json<{ map_ids?: number[] }>(`bpftool -j prog show id ${progId}`, { node: LAB });
  const out = new Map<string, number>();
  for (const id of prog.map_ids ?? []) {
    const m = await ctx.json<{ name?: string }>(`bpftool -j map show id ${id}`, { node: LAB });
    if (m.name) out.set(m.name, id);
  }
  return out;
}

/** Sum over CPUs of the `dropped` field in a per-CPU counters map (struct xd_counters). */
export async function droppedCount(ctx: CheckContext, mapId: number): Promise<number> {
  // bpftool -j prints raw bytes in key/value and the BTF-decoded form under "formatted".
  const dump = await ctx.json<{ formatted?: { values?: { value?: { dropped?: number } }[] } }[]>(`bpftool -j map dump id ${mapId}`, { node: LAB });
  let n = 0;
  for (const e of dump) for (const v of e.formatted?.values ?? []) n += Number(v.value?.dropped ?? 0);
  return n;
}

/** Rules in a rule map as "a.b.c.d → port/proto" strings (struct xd_rule with BTF). */
export async function rulesIn(ctx: CheckContext, mapId: number): Promise<string[]> {
  const dump = await ctx.json<{ formatted?: { key?: { saddr?: number[]; dport?: number; proto?: number } } }[]>(`bpftool -j map dump id ${mapId}`, {
    node: LAB,
  });
  return dump
    .map((e) => e.formatted?.key ?? {})
    .map((k) => `${(k.saddr ?? []).join('.')} → ${k.dport}/${k.proto === 6 ? 'tcp' : k.proto === 17 ? 'udp' : k.proto}`);
}

/** Datagrams that reached lab's UDP layer so far. */
export async function arrivals(ctx: CheckContext): Promise<number> {
  const snmp = (await ctx.exec('cat /proc/net/snmp', { node: LAB })).stdout.split('\n').filter((l) => l.startsWith('Udp:'));
  if (snmp.length < 2) throw new Error('lab has no Udp: lines in /proc/net/snmp');
  const keys = snmp[0]!.split(/\s+/),
    vals = snmp[1]!.split(/\s+/).map(Number);
  return ['InDatagrams', 'NoPorts', 'InErrors'].reduce((sum, k) => sum + (vals[keys.indexOf(k)] ?? 0), 0);
}

export interface Sent {
  sent: number;
  arrived: number;
}

/** Sends `count` UDP datagrams from a node to lab:port and returns how many reached lab's UDP layer. */
export async function sendFrom(ctx: CheckContext, from: string, port: number, count = PROBE_COUNT): Promise<Sent> {
  const before = await arrivals(ctx);
  // Paced, so that even a busy machine drains the veth ring between batches: a loss here must be a drop.
  const r = await ctx.exec(`./flood ${IP.lab} ${port} --count ${count} --rate 20000`, { node: from, timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`./flood on ${from} exited ${r.code}: ${r.stderr.trim().slice(-200)}`);
  const sent = (JSON.parse(r.stdout) as { sent: number }).sent;
  // Arrivals are counted synchronously on veth, but give a loaded machine a moment.
  await new Promise((res) => setTimeout(res, 200));
  return { sent, arrived: (await arrivals(ctx)) - before };
}

export const dropped = (s: Sent) => s.arrived <= s.sent * 0.1;
export const passed = (s: Sent) => s.arrived >= s.sent * 0.9;
export const show = (what: string, s: Sent) => `${what}: ${s.arrived} of ${s.sent} reached lab's UDP layer`;

/**
 * The behaviour every step asks for on its own port: gen's packets do not arrive, the same
 * source to an open port and another host to the guarded port still do. Returns what failed
 * (null when all three hold) and a one-line account of what was seen.
 */
export async function judgeDrop(ctx: CheckContext, port: number): Promise<{ problem: string | null; actual: string; gen: Sent }> {
  const gen = await sendFrom(ctx, 'gen', port);
  const open = await sendFrom(ctx, 'gen', PORT.open);
  const client = await sendFrom(ctx, 'client', port);
  const actual = [show(`gen → ${port}`, gen), show(`gen → ${PORT.open}`, open), show(`client → ${port}`, client)].join('; ');
  let problem: string | null = null;
  if (!dropped(gen)) problem = `gen's packets to UDP ${port} still reach lab (${gen.arrived} of ${gen.sent})`;
  else if (!passed(open))
    problem = `gen's packets to UDP ${PORT.open}, which no rule names, are dropped too (${open.arrived} of ${open.sent} arrived): the drop is wider than gen → ${port}`;
  else if (!passed(client))
    problem = `client's packets to UDP ${port} are dropped too (${client.arrived} of ${client.sent} arrived): the rule must name gen's source address ${IP.gen}, not the port alone`;
  return { problem, actual, gen };
}
