import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTable, findFlaky, formatTable, judgeVariant, type SelftestRun, type VariantResult } from './selftest-report.ts';

const fresh = { message: 'nothing attached yet', actual: 'no programs' };

test('a wrong solution counts as caught only with a specific fail that says expected and actual', () => {
  assert.deepEqual(judgeVariant('wrong', { status: 'fail', message: 'map differs', expected: 'uid 0 → 7', actual: 'uid 0 → 9' }, fresh), { ok: true });
  assert.match(judgeVariant('wrong', { status: 'pass', message: 'ok' }, fresh).problem!, /^missed/);
  assert.match(judgeVariant('wrong', { status: 'error', message: 'crashed' }, fresh).problem!, /broke instead of failing/);
  assert.match(judgeVariant('wrong', { status: 'fail', message: 'no', actual: 'x' }, fresh).problem!, /lacks expected/);
  assert.match(judgeVariant('wrong', { status: 'fail', ...fresh, expected: 'e' }, fresh).problem!, /^generic/);
});

test('an alternative must pass; fail and error are both wrong rejections', () => {
  assert.deepEqual(judgeVariant('alt', { status: 'pass', message: 'ok' }), { ok: true });
  assert.match(judgeVariant('alt', { status: 'fail', message: 'bad form' }).problem!, /rejected: bad form/);
  assert.match(judgeVariant('alt', { status: 'error', message: 'boom' }).problem!, /answered with error/);
});

const v = (
  step: string,
  kind: 'wrong' | 'alt',
  name: string,
  ok: boolean,
  status: VariantResult['status'] = ok === (kind === 'wrong') ? 'fail' : 'pass',
): VariantResult => ({ step, kind, name, about: name, status, message: '', ok, ms: 1 });
const run = (rep: number, variants: VariantResult[], after: 'pass' | 'fail' = 'pass'): SelftestRun => ({
  lab: 'l',
  repetition: rep,
  ok: true,
  upMs: 1,
  ms: 1,
  problems: [],
  variants,
  before: [
    { lab: 'l', step: 'a', status: 'fail', message: '', ms: 1 },
    { lab: 'l', step: 'b', status: 'fail', message: '', ms: 1 },
  ],
  after: [
    { lab: 'l', step: 'a', status: after, message: '', ms: 1 },
    { lab: 'l', step: 'b', status: 'pass', message: '', ms: 1 },
  ],
});

test('the table counts a variant as caught only if it was caught in every repetition', () => {
  const runs = [
    run(1, [v('a', 'wrong', 'fake', true), v('a', 'wrong', 'stale', true), v('a', 'alt', 'other', true)]),
    run(2, [v('a', 'wrong', 'fake', true), v('a', 'wrong', 'stale', false, 'pass'), v('a', 'alt', 'other', true)], 'fail'),
  ];
  const rows = buildTable(
    runs,
    new Map([
      [
        'l',
        [
          { step: 'a', wrong: 2, alt: 1 },
          { step: 'b', wrong: 0, alt: 0 },
        ],
      ],
    ]),
  );
  assert.deepEqual(rows[0], {
    lab: 'l',
    step: 'a',
    fresh: 'fail',
    reference: 'pass×1,fail×1',
    wrong: { total: 2, caught: 1, missed: ['stale'] },
    alt: { total: 1, passed: 1, rejected: [] },
    thin: false,
  });
  assert.equal(rows[1]!.thin, true, 'a step without wrong/ and alt/ scripts is flagged');
  const text = formatTable(rows);
  assert.match(text, /^lab\s+step\s+fresh\s+reference\s+wrong caught\s+alt passed/);
  assert.match(text, /\nl\s+a\s+fail\s+pass×1,fail×1\s+1\/2\s+1\/1\s+wrong\/stale\n/);
  assert.match(text, /\(thin: ship ≥2 wrong\/ and ≥1 alt\/\)$/);
  assert.deepEqual(findFlaky(runs).sort(), ['l/a (solved)', 'l/a (wrong/stale)']);
});
