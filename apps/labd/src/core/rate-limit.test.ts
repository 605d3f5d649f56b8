import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './rate-limit.ts';

test('a rate limiter counts per key, forgets after the window, and stays bounded', () => {
  const r = new RateLimiter(3, 1000, 100);
  for (let i = 0; i < 3; i++) {
    assert.equal(r.blocked('a', 0), false);
    r.hit('a', 0);
  }
  assert.equal(r.blocked('a', 10), true, 'a is over its limit');
  assert.equal(r.blocked('b', 10), false, 'b is not locked out by a');
  assert.equal(r.retryAfterS('a', 10), 1);
  assert.equal(r.blocked('a', 1001), false, 'the window has passed');
  for (let i = 0; i < 1000; i++) r.hit(`k${i}`, 2000);
  assert.ok((r as unknown as { hits: Map<string, number[]> }).hits.size <= 100, 'at most maxKeys keys are kept');
});
