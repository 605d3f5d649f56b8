import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stoppedFromQuery } from './join-text';

test('?stopped= keeps only lab-id-shaped words, at most ten; a repeated key does not throw', () => {
  assert.deepEqual(stoppedFromQuery('abc123,zz-9'), ['abc123', 'zz-9']);
  assert.deepEqual(stoppedFromQuery('<b>x</b>,ok'), ['ok']);
  assert.deepEqual(stoppedFromQuery(['a1', 'b2']), ['a1']);
  assert.deepEqual(stoppedFromQuery(undefined), []);
  assert.equal(stoppedFromQuery(Array.from({ length: 20 }, (_, i) => `l${i}`).join(',')).length, 10);
});
