import { fail, pass, type CheckContext } from '@ebpf-lab/lab-spec';

const FILE = 'results/iptables-vs-ebpf.json';
const FIELDS = ['restoreMs', 'addOneMs', 'latencyFirstUs', 'latencyLastUs'] as const;

interface Point { n: number; [k: string]: unknown }
interface Series { id?: string; datapath?: string; backend?: string; points?: Point[] }

/** Points with a service count and every metric as a positive number. */
function goodPoints(s: Series): Point[] {
  return (s.points ?? []).filter((p) => Number.isInteger(p.n) && p.n > 0 && FIELDS.every((f) => typeof p[f] === 'number' && (p[f] as number) > 0));
}

/**
 * Passes when the result file (format: labs/iptables-vs-ebpf/RESULTS.md) holds an iptables series
 * and an eBPF series, each with complete points at two or more service counts, so both curves
 * can be drawn and compared.
 */
export default async function check(ctx: CheckContext) {
  const text = await ctx.readFile(FILE);
  const expected = 'an iptables series and an ebpf series, each with points at 2 or more service counts';
  if (text === null) return fail(`${FILE} does not exist yet: run ./measure.sh for both datapaths`, { expected, actual: 'no such file' });
  let doc: { format?: string; series?: Series[] };
  try { doc = JSON.parse(text); } catch { return fail(`${FILE} is not valid JSON: delete it and run ./measure.sh again`, { expected, actual: text.slice(0, 80) }); }
  const series = Array.isArray(doc.series) ? doc.series : [];
  const desc = series.map((s) => `${s.id ?? '?'}: n = ${goodPoints(s).map((p) => p.n).join(', ') || 'none'}`).join('; ') || 'no series';
  const ready = (dp: string) => series.filter((s) => s.datapath === dp && new Set(goodPoints(s).map((p) => p.n)).size >= 2);
  const ipt = ready('iptables'), bpf = ready('ebpf');
  if (doc.format !== 'ebpf-lab.results/v1') return fail(`${FILE} is not a measure.sh result file (format ebpf-lab.results/v1)`, { expected, actual: `format ${String(doc.format)}` });
  if (!ipt.length && !bpf.length) return fail('neither datapath has two measured sizes yet: run ./measure.sh --datapath iptables … and --datapath ebpf …', { expected, actual: desc });
  if (!ipt.length) return fail('the iptables series is missing or has fewer than two sizes: ./measure.sh --datapath iptables --backend nft --n 100,1000,5000', { expected, actual: desc });
  if (!bpf.length) return fail('the eBPF series is missing or has fewer than two sizes: attach svclb, then ./measure.sh --datapath ebpf --n 100,1000,5000', { expected, actual: desc });
  return pass(`${FILE} holds ${[...ipt, ...bpf].map((s) => s.id).join(', ')}: ready to compare`, { expected, actual: desc });
}
