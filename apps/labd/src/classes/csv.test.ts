// The CSV export's defence against formula injection: learner-controlled text (display names,
// check messages) must never reach a spreadsheet as a formula, whatever it starts with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvField, toCsv } from './csv.ts';

test('text starting with = + - @ tab or CR is kept as text with a leading apostrophe', () => {
  const cases: [string, string][] = [
    ['=1+1', "'=1+1"],
    ['+SUM(A1:A9)', "'+SUM(A1:A9)"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1+1', "'\t=1+1"],
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['\r=1+1', `"'\r=1+1"`],
  ];
  for (const [input, want] of cases) assert.equal(csvField(input), want, JSON.stringify(input));
});

test('ordinary text, numbers and empty cells are left alone; commas, quotes and line ends are quoted', () => {
  assert.equal(csvField('Ann'), 'Ann');
  assert.equal(csvField('a=b'), 'a=b', 'only a leading = is a formula');
  assert.equal(csvField(-3), '-3', 'numbers are not formulas');
  assert.equal(csvField(null), '');
  assert.equal(csvField(undefined), '');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(toCsv(['name', 'n'], [['-x', 1]]), "name,n\r\n'-x,1\r\n");
});
