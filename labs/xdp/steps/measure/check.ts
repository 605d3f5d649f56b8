import { fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { attachedOn, DEV, droppedCount, IP, LAB, mapsOf, PORT } from '../../lib/probe.ts';

const FILE = 'results/xdp.json';
const DATAPATHS = ['xdp', 'tc', 'iptables'] as const;
/** How far a recorded rate may sit from the check's own re-measurement on a shared, busy machine. */
const FACTOR = 4;

interface Point {
  size?: unknown;
  droppedPps?: unknown;
  sentPps?: unknown;
}
interface Series {
  id?: string;
  datapath?: string;
  points?: Point[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const good = (p: Point) => {
  const d = num(p.droppedPps),
    s = num(p.sentPps);
  return num(p.size) !== null && d !== null && s !== null && d > 0 && s > 0 && d <= s * 1.05;
};

/** Floods gen → lab:9001 for one second and reads xdp_drop's counter: packets dropped per second now. */
async function remeasure(ctx: CheckContext): Promise<number | string> {
  const xdp = (await attachedOn(ctx, LAB)).find((a) => a.dev === DEV && a.name === 'xdp_drop' && a.hook.startsWith('xdp/'));
  if (!xdp) return `xdp_drop is no longer attached at XDP of ${LAB}'s ${DEV}: the check re-measures through it (attach it again, step xdp)`;
  const counts = (await mapsOf(ctx, xdp.id)).get('xdp_counts');
  if (counts === undefined) return 'xdp_drop has no xdp_counts map';
  const before = await droppedCount(ctx, counts);
  const r = await ctx.exec(`./flood ${IP.lab} ${PORT.xdp} --seconds 1 --size 64`, { node: 'gen', timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`./flood on gen exited ${r.code}: ${r.stderr.trim().slice(-200)}`);
  const run = JSON.parse(r.stdout) as { seconds: number };
  return ((await droppedCount(ctx, counts)) - before) / run.seconds;
}

/**
 * Passes when results/xdp.json holds a measured point for each datapath (dropped ≤ sent, both
 * positive) and the XDP numbers agree within a factor of 4 with the check's own one-second
 * flood through the attached xdp_drop: a typed-in or borrowed file does not pass.
 */
export default async function check(ctx: CheckContext) {
  const expected = `${FILE} with xdp, tc and iptables series, each with at least one measured payload size`;
  const text = await ctx.readFile(FILE);
  if (text === null) return fail(`${FILE} does not exist yet: run ./measure.sh`, { expected, actual: 'no such file' });
  let doc: { format?: string; series?: Series[] };
  try {
    doc = JSON.parse(text);
  } catch {
    return fail(`${FILE} is not valid JSON: delete it and run ./measure.sh again`, { expected, actual: text.slice(0, 80) });
  }
  if (doc.format !== 'ebpf-lab.results/v1')
    return fail(`${FILE} is not a measure.sh result file (format ebpf-lab.results/v1)`, { expected, actual: `format ${String(doc.format)}` });
  const series = Array.isArray(doc.series) ? doc.series : [];
  const pts = (dp: string) => series.filter((s) => s.datapath === dp).flatMap((s) => (s.points ?? []).filter(good));
  const desc = DATAPATHS.map(
    (dp) =>
      `${dp}: ${
        pts(dp)
          .map((p) => `${p.size} B ${p.droppedPps} pps`)
          .join(', ') || 'none'
      }`,
  ).join('; ');
  const missing = DATAPATHS.filter((dp) => !pts(dp).length);
  if (missing.length)
    return fail(`no measured point for ${missing.join(', ')}: run ./measure.sh --datapath ${missing.join(',')} (each needs its drop from the earlier steps)`, {
      expected,
      actual: desc,
    });
  const now = await remeasure(ctx);
  if (typeof now === 'string') return fail(now, { expected, actual: desc });
  const xdpPts = pts('xdp').map((p) => p.droppedPps as number);
  const best = Math.max(...xdpPts);
  const seen = `${desc}; re-measured now: xdp ${Math.round(now)} pps (64 B, 1 s)`;
  if (best > now * FACTOR || best < now / FACTOR) {
    return fail(
      `the file says XDP dropped ${best} pps, but a 1-second flood through your xdp_drop just now dropped ${Math.round(now)} pps: more than ${FACTOR}× apart, so the file was not measured here; run ./measure.sh again`,
      { expected, actual: seen },
    );
  }
  const tooFast = DATAPATHS.flatMap((dp) =>
    pts(dp)
      .filter((p) => (p.droppedPps as number) > now * FACTOR)
      .map((p) => `${dp} ${p.size} B`),
  );
  if (tooFast.length)
    return fail(`${tooFast.join(', ')} claim more than ${FACTOR}× the rate this machine drops at XDP right now: run ./measure.sh again`, {
      expected,
      actual: seen,
    });
  return pass(`${FILE} holds measured points for xdp, tc and iptables, in line with a fresh 1-second XDP flood`, { expected, actual: seen });
}
