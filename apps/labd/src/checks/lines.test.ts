import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineSplitter } from './lines.ts';

test('lines split across chunks, characters split across chunks, and an overlong line', () => {
  const got: string[] = [];
  let over = 0;
  const feed = lineSplitter(
    20,
    (l) => got.push(l),
    () => over++,
  );
  const bytes = Buffer.from('가나\n{"a":1}\n\n', 'utf8');
  // One byte at a time: every multi-byte character is split between chunks.
  for (const b of bytes) feed(Buffer.from([b]));
  assert.deepEqual(got, ['가나', '{"a":1}'], 'no U+FFFD, no empty lines');
  feed(Buffer.from('x'.repeat(15)));
  feed(Buffer.from('y'.repeat(15)));
  assert.equal(over, 1, 'a line past the limit without a newline ends the stream');
  feed(Buffer.from('\nlate\n'));
  assert.deepEqual(got, ['가나', '{"a":1}'], 'nothing after the overflow');
});

test('a long line in many chunks arrives whole, once', () => {
  const got: number[] = [];
  const feed = lineSplitter(
    Number.POSITIVE_INFINITY,
    (l) => got.push(l.length),
    () => {},
  );
  const chunk = Buffer.alloc(64 * 1024, 'a');
  for (let i = 0; i < 64; i++) feed(chunk);
  feed(Buffer.from('\nb\n'));
  assert.deepEqual(got, [64 * 64 * 1024, 1]);
});
