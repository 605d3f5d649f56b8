'use client';
import { useEffect, useState } from 'react';
import { labApi } from './lab-api';
import { useLab } from './lab-context';

// labs/iptables-vs-ebpf/RESULTS.md: format ebpf-lab.results/v1.
export interface Results {
  format: 'ebpf-lab.results/v1';
  title?: string;
  x: { key: string; label: string; scale?: 'linear' | 'log' };
  metrics: { key: string; label: string; unit?: string }[];
  series: { id: string; label: string; points: Record<string, unknown>[] }[];
  env?: Record<string, unknown>;
}

const W = 320,
  H = 180,
  PAD = { l: 48, r: 10, t: 24, b: 30 };
const COLORS = ['#d9480f', '#1971c2', '#2f9e44', '#9c36b5', '#e67700'];

function scaler(values: number[], lo: number, hi: number, log: boolean) {
  const f = (v: number) => (log ? Math.log10(Math.max(v, 1e-9)) : v);
  const fs = values.map(f);
  let min = Math.min(...fs),
    max = Math.max(...fs);
  if (!log) min = Math.min(0, min);
  if (max === min) max = min + 1;
  return (v: number) => lo + ((f(v) - min) / (max - min)) * (hi - lo);
}

function MetricChart({ r, metric }: { r: Results; metric: Results['metrics'][number] }) {
  const pts = r.series.map((s) =>
    s.points.map((p) => ({ x: p[r.x.key], y: p[metric.key] })).filter((p): p is { x: number; y: number } => typeof p.x === 'number' && typeof p.y === 'number'),
  );
  const xs = pts.flat().map((p) => p.x),
    ys = pts.flat().map((p) => p.y);
  if (!xs.length) return null;
  const sx = scaler(xs, PAD.l, W - PAD.r, r.x.scale === 'log');
  const sy = scaler(ys, H - PAD.b, PAD.t, false);
  const yMax = Math.max(...ys);
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="metric-chart" role="img" aria-label={metric.label}>
      <text x={PAD.l} y={14} className="chart-title">
        {metric.label}
      </text>
      <line x1={PAD.l} y1={H - PAD.b} x2={W - PAD.r} y2={H - PAD.b} stroke="#999" />
      <line x1={PAD.l} y1={PAD.t} x2={PAD.l} y2={H - PAD.b} stroke="#999" />
      <text x={PAD.l - 4} y={sy(yMax) + 4} textAnchor="end" className="tick">
        {+yMax.toPrecision(3)}
      </text>
      <text x={PAD.l - 4} y={H - PAD.b} textAnchor="end" className="tick">
        0
      </text>
      <text x={4} y={PAD.t - 6} className="tick">
        {metric.unit}
      </text>
      {[...new Set(xs)].map((x) => (
        <text key={x} x={sx(x)} y={H - PAD.b + 14} textAnchor="middle" className="tick">
          {x}
        </text>
      ))}
      <text x={(W + PAD.l) / 2} y={H - 2} textAnchor="middle" className="tick">
        {r.x.label}
      </text>
      {pts.map((ps, i) => (
        <g key={r.series[i]!.id} stroke={COLORS[i % COLORS.length]} fill={COLORS[i % COLORS.length]}>
          <polyline fill="none" strokeWidth={2} points={ps.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')} />
          {ps.map((p) => (
            <circle key={p.x} cx={sx(p.x)} cy={sy(p.y)} r={3}>
              <title>{`${r.series[i]!.label}: ${p.y} ${metric.unit ?? ''}`}</title>
            </circle>
          ))}
        </g>
      ))}
    </svg>
  );
}

/**
 * The lesson's own words over the file's: a result file is data, written in one language by the
 * lab's scripts, so the lesson names the chart (`title`) and translates the labels it knows
 * (`labels`, by the x key, metric keys, series ids and env keys). Keys it does not name keep the
 * file's label, so a new series still shows.
 */
export function localize(r: Results, title: string | undefined, labels: Record<string, string> = {}): Results {
  const own = (key: string, fallback: string) => (Object.hasOwn(labels, key) ? labels[key]! : fallback);
  return {
    ...r,
    title: title ?? r.title,
    x: { ...r.x, label: own(r.x.key, r.x.label) },
    metrics: r.metrics.map((m) => ({ ...m, label: own(m.key, m.label) })),
    series: r.series.map((s) => ({ ...s, label: own(s.id, s.label) })),
    ...(r.env ? { env: Object.fromEntries(Object.entries(r.env).map(([k, v]) => [own(`env.${k}`, k), v])) } : {}),
  };
}

/**
 * <ResultChart file="results/x.json" title="…" labels={{ key: '…' }} />: one small SVG chart per
 * metric from the lab's result file, titled and labelled in the lesson's language.
 */
export function ResultChart({ file, title, labels }: { file: string; title?: string; labels?: Record<string, string> }) {
  const ctx = useLab();
  const [r, setR] = useState<Results | null>(null);
  const [error, setError] = useState<string | null>(null);
  const labId = ctx?.labId;
  const ready = ctx?.lab?.state === 'ready';
  const load = () => {
    if (!labId) return;
    labApi
      .readFile(labId, file)
      .then((text) => {
        const doc = JSON.parse(text) as Results;
        if (doc.format !== 'ebpf-lab.results/v1') throw new Error(`${file}: format is not ebpf-lab.results/v1`);
        setR(localize(doc, title, labels));
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  };
  // eslint-disable-next-line react-hooks/exhaustive-deps -- reload when the lab becomes ready
  useEffect(load, [labId, ready, file, title, JSON.stringify(labels ?? {})]);
  return (
    <figure className="result-chart" data-testid="result-chart">
      <figcaption data-testid="result-chart-title">
        {r?.title ?? title ?? file}{' '}
        <button type="button" onClick={load} disabled={!ready}>
          ↻
        </button>
      </figcaption>
      {error && (
        <p className="muted">
          {file}: {error}
        </p>
      )}
      {r && (
        <>
          <div className="legend">
            {r.series.map((s, i) => (
              <span key={s.id} style={{ color: COLORS[i % COLORS.length] }}>
                ■ {s.label}
              </span>
            ))}
          </div>
          <div className="charts">
            {r.metrics.map((m) => (
              <MetricChart key={m.key} r={r} metric={m} />
            ))}
          </div>
          {r.env && (
            <p className="muted env">
              {Object.entries(r.env)
                .map(([k, v]) => `${k}: ${String(v)}`)
                .join(' · ')}
            </p>
          )}
        </>
      )}
    </figure>
  );
}
