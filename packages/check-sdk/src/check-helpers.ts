import type { CheckContext, CheckOutcome } from './check-contract.ts';

// BPF objects are global to the kernel, so checks only count those owned by this lab's processes.

export interface BpfProg {
  id: number;
  type: string;
  name?: string;
  map_ids?: number[];
}
export interface BpfMap {
  id: number;
  type: string;
  name?: string;
}
export interface PerfLink {
  pid: number;
  fd: number;
  prog_id: number;
  fd_type: string;
  tracepoint?: string;
  func?: string;
}

/**
 * Ids of BPF programs and maps whose file descriptors this lab's processes hold, read from the
 * kernel's /proc/<pid>/fdinfo (bpftool's own `pids` field needs a bpftool built with skeletons,
 * which Debian's is not).
 */
export async function labBpfIds(ctx: CheckContext): Promise<{ progs: Set<number>; maps: Set<number> }> {
  const pids = [...(await ctx.labPids())];
  const progs = new Set<number>();
  const maps = new Set<number>();
  if (pids.length === 0) return { progs, maps };
  // One grep over every fdinfo file, not a cat per process: a fork costs ~30x more in an emulated (TCG) guest.
  const r = await ctx.exec(`f=(); for p in ${pids.join(' ')}; do f+=(/proc/$p/fdinfo/*); done; grep -hsE '^(prog_id|map_id):' "\${f[@]}" || true`);
  for (const line of r.stdout.split('\n')) {
    const m = /^(prog_id|map_id):\s+(\d+)/.exec(line);
    if (m) (m[1] === 'prog_id' ? progs : maps).add(Number(m[2]));
  }
  return { progs, maps };
}

export async function labProgs(ctx: CheckContext): Promise<BpfProg[]> {
  const [progs, ids] = await Promise.all([ctx.json<BpfProg[]>('bpftool -j prog show'), labBpfIds(ctx)]);
  return progs.filter((p) => ids.progs.has(p.id));
}

/** Maps held by the lab's processes, or used by a program they hold. */
export async function labMaps(ctx: CheckContext): Promise<BpfMap[]> {
  const [maps, progs, ids] = await Promise.all([ctx.json<BpfMap[]>('bpftool -j map show'), ctx.json<BpfProg[]>('bpftool -j prog show'), labBpfIds(ctx)]);
  const owned = new Set(ids.maps);
  for (const p of progs) if (ids.progs.has(p.id)) for (const m of p.map_ids ?? []) owned.add(m);
  return maps.filter((m) => owned.has(m.id));
}

/** Tracepoint/kprobe attachments held by this lab's processes (`bpftool perf show`). */
export async function labPerfLinks(ctx: CheckContext): Promise<PerfLink[]> {
  const [links, pids] = await Promise.all([ctx.json<PerfLink[]>('bpftool -j perf show'), ctx.labPids()]);
  return links.filter((l) => pids.has(l.pid));
}

/** bpftool prints map entries as numbers (with BTF) or as arrays of hex bytes (without); both become bigint. */
export function bpftoolNumber(v: unknown): bigint | null {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  if (Array.isArray(v) && v.every((b) => typeof b === 'string' && /^0x[0-9a-f]{2}$/i.test(b))) {
    return (v as string[]).reduceRight((acc, b) => (acc << 8n) | BigInt(Number.parseInt(b, 16)), 0n);
  }
  return null;
}

export const pass = (message: string, extra: Partial<CheckOutcome> = {}): CheckOutcome => ({ status: 'pass', message, ...extra });
export const fail = (message: string, extra: Partial<CheckOutcome> = {}): CheckOutcome => ({ status: 'fail', message, ...extra });
export const checkError = (message: string): CheckOutcome => ({ status: 'error', message });
