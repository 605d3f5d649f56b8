import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localize, type Results } from './result-chart';

const file: Results = {
  format: 'ebpf-lab.results/v1',
  title: 'English title',
  x: { key: 'size', label: 'payload' },
  metrics: [
    { key: 'droppedPps', label: 'dropped', unit: 'pps' },
    { key: 'sentPps', label: 'sent' },
  ],
  series: [
    { id: 'xdp', label: 'XDP', points: [{ size: 64, droppedPps: 1 }] },
    { id: 'new', label: 'A new series', points: [] },
  ],
  env: { kernel: '6.18', cpus: 2 },
};

test("the lesson's title and labels replace the file's; keys it does not name keep the file's words; data is untouched", () => {
  const r = localize(file, '한국어 제목', { size: '페이로드', droppedPps: '드롭', xdp: 'XDP(한국어)', 'env.kernel': '커널' });
  assert.equal(r.title, '한국어 제목');
  assert.equal(r.x.label, '페이로드');
  assert.deepEqual(
    r.metrics.map((m) => [m.key, m.label, m.unit]),
    [
      ['droppedPps', '드롭', 'pps'],
      ['sentPps', 'sent', undefined],
    ],
  );
  assert.deepEqual(
    r.series.map((s) => s.label),
    ['XDP(한국어)', 'A new series'],
  );
  assert.deepEqual(r.series[0]!.points, file.series[0]!.points);
  assert.deepEqual(r.env, { 커널: '6.18', cpus: 2 });
  assert.equal(file.title, 'English title', "the file's document is not changed");
});

test('without a title or labels the file speaks for itself; an inherited key is not a label', () => {
  const r = localize(file, undefined, JSON.parse('{"__proto__": {"size": "x"}}') as Record<string, string>);
  assert.equal(r.title, 'English title');
  assert.equal(r.x.label, 'payload');
});
