import assert from 'node:assert/strict';
import { test } from 'node:test';

process.env.ELAB_SERVICE_TOKEN = 's'.repeat(43);
const { decodeLearnerCookie, encodeLearnerCookie, readCookie, setCookieHeader } = await import('./session');

test('a learner cookie round-trips and is httpOnly', () => {
  const l = { id: 'abc123', name: 'learner-1' };
  assert.deepEqual(decodeLearnerCookie(encodeLearnerCookie(l)), l);
  const header = setCookieHeader(l);
  assert.match(header, /HttpOnly/);
  assert.match(header, /SameSite=Lax/);
  assert.deepEqual(decodeLearnerCookie(readCookie(`a=b; ${header.split(';')[0]}`, 'elab_learner')), l);
});

test('a tampered or foreign cookie is no learner', () => {
  const good = encodeLearnerCookie({ id: 'abc123', name: 'n' });
  const [payload, mac] = good.split('.');
  const forged = Buffer.from(JSON.stringify({ id: 'someone-else', name: 'n' })).toString('base64url');
  assert.equal(decodeLearnerCookie(`${forged}.${mac}`), null);
  assert.equal(decodeLearnerCookie(`${payload}.${mac!.slice(1)}x`), null);
  assert.equal(decodeLearnerCookie('garbage'), null);
  assert.equal(decodeLearnerCookie(undefined), null);
});
