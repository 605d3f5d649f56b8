import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDump } from './map-dump.ts';

// Shapes copied from bpftool v7 on this host (`bpftool -j map dump id N` and `… name exec_count`).
const row = (k: number, v: number) => ({
  key: [k, 0, 0, 0].map((b) => `0x${b.toString(16).padStart(2, '0')}`),
  value: [v & 0xff, (v >> 8) & 0xff, 0, 0, 0, 0, 0, 0].map((b) => `0x${b.toString(16).padStart(2, '0')}`),
  formatted: { key: k, value: v },
});

test("a dump by id and a dump by name of several maps both give this lab's entries", () => {
  const byId = parseDump(JSON.stringify([row(0, 686), row(42, 171)]), 60, 4, 8);
  assert.ok(byId.ok);
  assert.deepEqual(
    [...byId.entries],
    [
      [0n, 686n],
      [42n, 171n],
    ],
  );
  const byName = JSON.stringify([
    { id: 60, type: 'hash', name: 'exec_count', flags: 0, elements: [row(0, 686)] },
    { id: 72, type: 'hash', name: 'exec_count', flags: 0, elements: [row(0, 259)] },
  ]);
  const mine = parseDump(byName, 72, 4, 8);
  assert.ok(mine.ok);
  assert.deepEqual([...mine.entries], [[0n, 259n]]);
  const none = parseDump(byName, 99, 4, 8);
  assert.ok(!none.ok);
  assert.match(none.why, /holds maps id 60, id 72, but this lab's exec_count is map id 99/);
});

test('hand-written, plain-text, edited and foreign dumps are refused, each with its reason', () => {
  const cases: [string, RegExp][] = [
    ['[{"key":0,"value":5}]', /decoded numbers only .*plain dump without -j, or a file written by hand/],
    ['[{"key":"zero","value":5}]', /not what bpftool -j prints/],
    ['key: 00 00 00 00  value: ae 02 00 00 00 00 00 00\nFound 1 element\n', /not JSON \(it looks like bpftool's plain-text dump\)/],
    ['{"key":0}', /not a bpftool map dump/],
    [JSON.stringify([{ ...row(0, 686), formatted: { key: 0, value: 9999 } }]), /raw bytes say uid 0 → 686 but "formatted" says 0 → 9999/],
    [JSON.stringify([{ key: ['0x00'], value: ['0x01'] }]), /1-byte key and 1-byte value/],
    [JSON.stringify([row(0, 1), row(0, 2)]), /uid 0 twice/],
    ['', /not JSON/],
  ];
  for (const [text, why] of cases) {
    const r = parseDump(text, 60, 4, 8);
    assert.ok(!r.ok, text);
    assert.match(r.why, why, text);
    assert.ok(r.actual.length > 0);
  }
});
