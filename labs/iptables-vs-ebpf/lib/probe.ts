import { createHash } from 'node:crypto';
import type { CheckContext } from '@ebpf-lab/check-sdk';
import { serviceVip } from './lab-state.ts';

// Behaviour, not artefacts: the checks connect to services themselves and read the counters the
// kernel keeps, so a rule set that looks right but does not deliver, or a program that is
// attached but never rewrites, does not pass.

const BACKEND_NAME = /^be\d+$/;

export interface VipProbe {
  vip: string;
  /** Backend names that answered (be1, be2, …), one per successful connection. */
  answers: string[];
  /** curl exit codes of the attempts that did not get a backend's name back. */
  errors: number[];
}

/**
 * `tries` fresh connections to http://VIP/ from the lab node (inside the lab's cgroup, so svclb
 * sees them as it sees the learner's). One exec for all tries: a check makes dozens of connects.
 */
export async function probeVip(ctx: CheckContext, vip: string, tries = 10): Promise<VipProbe> {
  // Stops at the first failure: a dead service would otherwise cost tries × the curl timeout.
  const r = await ctx.exec(`for i in $(seq ${tries}); do out=$(curl -s --max-time 2 http://${vip}/); c=$?; echo "$c $out"; [ $c = 0 ] || break; done`, {
    timeoutMs: tries * 1000 + 5000,
  });
  const answers: string[] = [],
    errors: number[] = [];
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [code, name] = line.trim().split(/\s+/);
    if (code === '0' && name && BACKEND_NAME.test(name)) answers.push(name);
    else errors.push(Number(code) || -1);
  }
  return { vip, answers, errors };
}

export const describeProbe = (p: VipProbe) =>
  `${p.vip}: ${p.answers.length} answered (${[...new Set(p.answers)].sort().join(', ') || 'none'})${p.errors.length ? `, ${p.errors.length} failed (curl exit ${[...new Set(p.errors)].join('/')})` : ''}`;

/** Why a probe is not a healthy service with three backends behind it, or null when it is. */
export function probeProblem(p: VipProbe, tries: number): string | null {
  if (p.answers.length === 0) {
    const code = p.errors[0];
    const how =
      code === 28 ? 'timed out (nothing answered: no rule sends the VIP anywhere that listens)' : code === 7 ? 'was refused' : `failed (curl exit ${code})`;
    return `http://${p.vip}/ ${how}`;
  }
  if (p.answers.length < tries) return `only ${p.answers.length} of ${tries} connections to ${p.vip} reached a backend`;
  // 10 connects all landing on one of three equally likely backends: probability 3/3^10 ≈ 5e-5.
  if (new Set(p.answers).size < 2) return `all ${tries} connections to ${p.vip} went to ${p.answers[0]}: the service should spread over every backend pod`;
  return null;
}

/** Probes VIPs one after another and stops at the first that is not healthy (checks have a time budget). */
export async function probeAll(ctx: CheckContext, vips: string[], tries: number): Promise<{ probes: VipProbe[]; broken: string | null }> {
  const probes: VipProbe[] = [];
  for (const vip of vips) {
    const p = await probeVip(ctx, vip, tries);
    probes.push(p);
    const broken = probeProblem(p, tries);
    if (broken) return { probes, broken };
  }
  return { probes, broken: null };
}

/** Services a check probes besides svc-1: the second, one from the middle, and the last. */
export function sampleServices(target: number): number[] {
  return [...new Set([2, Math.ceil(target / 2), target])].filter((i) => i >= 2 && i <= target);
}

export const vipOf = (i: number) => serviceVip(i);

export interface SvclbStats {
  lookups: number;
  rewrites: number;
}

/** svclb's per-CPU counters (slot 0 lookups, 1 rewrites), summed over CPUs, from the map the program uses. */
export async function svclbStats(ctx: CheckContext, progId: number): Promise<SvclbStats | null> {
  const prog = await ctx.json<{ map_ids?: number[] }>(`bpftool -j prog show id ${progId}`);
  for (const id of prog.map_ids ?? []) {
    const m = await ctx.json<{ name?: string }>(`bpftool -j map show id ${id}`);
    if (m.name !== 'stats') continue;
    const dump = await ctx.json<{ key: string[]; values: { value: string[] }[] }[]>(`bpftool -j map dump id ${id}`);
    const slot = (k: number) =>
      dump
        .filter((e) => le(e.key) === k)
        .flatMap((e) => e.values)
        .reduce((s, v) => s + le(v.value), 0);
    return { lookups: slot(0), rewrites: slot(1) };
  }
  return null;
}

/** Little-endian hex bytes as bpftool prints them raw (this map has no BTF names for its slots). */
function le(bytes: string[]): number {
  return bytes.reduceRight((acc, b) => acc * 256 + Number.parseInt(b, 16), 0);
}

/** The chain name kube-proxy (and kube-rules.py) gives a service or endpoint: sha256, base32, 16 chars. */
export function kubeChain(prefix: string, text: string): string {
  const digest = createHash('sha256').update(text).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0,
    value = 0,
    out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return `${prefix}-${out}`;
}

/** svc-1's own chains: its KUBE-SVC chain and one KUBE-SEP chain per backend. */
export function serviceChains(i: number, backends: string[]): string[] {
  const name = `default/svc-${i}:http`;
  return [kubeChain('KUBE-SVC', `${name}tcp`), ...backends.map((be) => kubeChain('KUBE-SEP', `${name}tcp${be}`))];
}
