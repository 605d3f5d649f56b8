import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { attachedSvclb, FIRST_SERVICE, labBackends, natTables } from '../../lib/lab-state.ts';
import { svclbStats, vipOf } from '../../lib/probe.ts';

const FILE = 'results/iptables-vs-ebpf.json';
const FIELDS = ['restoreMs', 'addOneMs', 'latencyFirstUs', 'latencyLastUs'] as const;
/**
 * How far a recorded latency may sit from the check's own fresh one. The machine is shared: a
 * selftest saw a run recorded under load at ~10× what the check measured minutes later, so this
 * only catches the absurd (wrong units, invented orders of magnitude); run id, entry counts and
 * svclb's counters are what tie the file to this lab.
 */
const TOLERANCE = 20;

interface Point {
  n: number;
  entries?: number;
  samples?: number;
  run?: string;
  [k: string]: unknown;
}
interface Series {
  id?: string;
  datapath?: string;
  backend?: string;
  points?: Point[];
}

/** Points with a service count and every metric as a positive number. */
function goodPoints(s: Series): Point[] {
  return (s.points ?? []).filter((p) => Number.isInteger(p.n) && p.n > 0 && FIELDS.every((f) => typeof p[f] === 'number' && (p[f] as number) > 0));
}

/** What measure.sh writes as `entries`: every rule of the restored table, or one map entry per service. */
function expectedEntries(datapath: string, n: number, backends: number): number {
  return datapath === 'ebpf' ? n : n * (2 + 3 * backends) + 8;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/**
 * Passes when the result file (format: labs/iptables-vs-ebpf/RESULTS.md) holds an iptables series
 * and an eBPF series with complete points at two or more service counts, AND they come from a
 * real run in this lab: every point carries this lab's run id (.lab/run-id, stamped by
 * measure.sh), its rule/entry count matches what measure.sh installs for that n, svclb's own
 * rewrite counter has seen at least the connections the eBPF latencies needed, and a fresh
 * measurement by the check (one VIP per datapath) lands within a factor 20 of the recorded ones.
 */
export default async function check(ctx: CheckContext) {
  const text = await ctx.readFile(FILE);
  const expected = 'an iptables series and an ebpf series, each with points at 2 or more service counts, measured by ./measure.sh in this lab';
  if (text === null) return fail(`${FILE} does not exist yet: run ./measure.sh for both datapaths`, { expected, actual: 'no such file' });
  let doc: { format?: string; series?: Series[] };
  try {
    doc = JSON.parse(text);
  } catch {
    return fail(`${FILE} is not valid JSON: delete it and run ./measure.sh again`, { expected, actual: text.slice(0, 80) });
  }
  const run = ((await ctx.readFile('.lab/run-id')) ?? '').trim();
  if (!run) return checkError('.lab/run-id is missing: the lab setup did not finish; start a new lab');
  const backends = (await labBackends(ctx)).length;
  const series = Array.isArray(doc.series) ? doc.series : [];
  const desc =
    series
      .map(
        (s) =>
          `${s.id ?? '?'}: n = ${
            goodPoints(s)
              .map((p) => p.n)
              .join(', ') || 'none'
          }`,
      )
      .join('; ') || 'no series';
  if (doc.format !== 'ebpf-lab.results/v1')
    return fail(`${FILE} is not a measure.sh result file (format ebpf-lab.results/v1)`, { expected, actual: `format ${String(doc.format)}` });
  // Provenance first: a point from another lab (or typed in) says nothing about this kernel.
  for (const s of series) {
    for (const p of goodPoints(s)) {
      if (p.run !== run) {
        return fail(
          `${s.id ?? 'a series'} n=${p.n} was not measured in this lab (its run id is ${p.run ? `"${p.run}"` : 'missing'}): results copied from elsewhere or typed in do not count. Delete ${FILE} and run ./measure.sh for both datapaths here`,
          { expected, actual: desc },
        );
      }
      const want = expectedEntries(s.datapath ?? '', p.n, backends);
      if (p.entries !== want) {
        return fail(
          `${s.id} n=${p.n} says ${String(p.entries)} ${s.datapath === 'ebpf' ? 'map entries' : 'rules'}, but measure.sh installs ${want} for ${p.n} services: this point was not written by measure.sh. Delete ${FILE} and measure again`,
          { expected, actual: desc },
        );
      }
    }
  }
  const ready = (dp: string) => series.filter((s) => s.datapath === dp && new Set(goodPoints(s).map((p) => p.n)).size >= 2);
  const ipt = ready('iptables'),
    bpf = ready('ebpf');
  if (!ipt.length && !bpf.length)
    return fail('neither datapath has two measured sizes yet: run ./measure.sh --datapath iptables … and --datapath ebpf …', { expected, actual: desc });
  if (!ipt.length)
    return fail('the iptables series is missing or has fewer than two sizes: ./measure.sh --datapath iptables --backend nft --n 100,1000,5000', {
      expected,
      actual: desc,
    });
  if (!bpf.length)
    return fail('the eBPF series is missing or has fewer than two sizes: attach svclb, then ./measure.sh --datapath ebpf --n 100,1000,5000', {
      expected,
      actual: desc,
    });

  // Live kernel state: each eBPF point's latencies took 2 × (samples + 10 warm-up) connects, all
  // rewritten by svclb, and its counters only ever grow (unless the maps are purged).
  let lb;
  try {
    lb = await attachedSvclb(ctx);
  } catch (e) {
    return checkError(`reading svclb's state: ${(e as Error).message}`);
  }
  if (!lb)
    return fail(
      'svclb is not attached any more, so the check cannot confirm the eBPF series against its counters: ./bpf/.output/svclb attach, then ./measure.sh --datapath ebpf again',
      { expected, actual: desc },
    );
  const stats = await svclbStats(ctx, lb.progId);
  const needed = bpf.flatMap(goodPoints).reduce((sum, p) => sum + 2 * ((p.samples ?? 0) + 10), 0);
  if (!stats || stats.rewrites < needed) {
    return fail(
      `the eBPF series needs at least ${needed} connections rewritten by svclb, but its counter shows ${stats?.rewrites ?? 'nothing'}: those latencies did not go through this lab's svclb. Run ./measure.sh --datapath ebpf again`,
      { expected, actual: `${desc}; svclb rewrites ${stats?.rewrites ?? '?'}` },
    );
  }

  // A fresh measurement: svc-1 goes through svclb (after the cutover), svc-2 through iptables.
  const fresh: string[] = [];
  const probes: { label: string; vip: string; series: Series[]; ok: boolean }[] = [
    { label: 'ebpf', vip: FIRST_SERVICE, series: bpf, ok: lb.services.some((s) => s.service === FIRST_SERVICE) },
    { label: 'iptables', vip: `${vipOf(2)}:80`, series: ipt, ok: (await natTables(ctx)).some((t) => t.services.has(`${vipOf(2)}:80`)) },
  ];
  const usable = probes.filter((p) => p.ok);
  if (usable.length) {
    const r = await ctx.exec(`python3 .lab/latency.py 30 ${usable.map((p) => p.vip).join(' ')}`, { timeoutMs: 15000 });
    let now: Record<string, { medianUs: number | null }> = {};
    try {
      now = JSON.parse(r.stdout);
    } catch {
      /* judged below as "not measurable" */
    }
    for (const p of usable) {
      const us = now[p.vip]?.medianUs;
      if (!us) {
        fresh.push(`${p.label}: ${p.vip} did not answer the check's own measurement`);
        continue;
      }
      const recorded = median(p.series.flatMap(goodPoints).map((x) => x.latencyFirstUs as number));
      fresh.push(`${p.label}: recorded ${recorded} us, the check measured ${us} us now`);
      if (recorded > us * TOLERANCE || recorded < us / TOLERANCE) {
        return fail(
          `the ${p.label} latencies in ${FILE} (median ${recorded} us) are not plausible on this machine: the check just measured ${us} us through ${p.vip}. Measure again with ./measure.sh --datapath ${p.label}${p.label === 'iptables' ? ' --backend nft' : ''}`,
          { expected: `recorded within ×${TOLERANCE} of a fresh measurement`, actual: `${desc}; ${fresh.join('; ')}` },
        );
      }
    }
  }
  return pass(`${FILE} holds ${[...ipt, ...bpf].map((s) => s.id).join(', ')}, measured in this lab: ready to compare`, {
    expected,
    actual: `${desc}; svclb rewrites ${stats.rewrites} ≥ ${needed}${fresh.length ? `; ${fresh.join('; ')}` : ''}`,
  });
}
