import assert from 'node:assert/strict';
import { test } from 'node:test';

process.env.ELAB_SERVICE_TOKEN = 's'.repeat(43);
const { decodeLearnerCookie, encodeLearnerCookie, readCookie, setCookieHeader } = await import('./session');
const { parseWebEnv } = await import('./env');

const later = () => Math.floor(Date.now() / 1000) + 3600;

test('a learner cookie round-trips, is httpOnly, and lives as long as its session', () => {
  const l = { id: 'abc123', name: 'learner-1', session: 'S'.repeat(43), exp: later() };
  assert.deepEqual(decodeLearnerCookie(encodeLearnerCookie(l)), l);
  const header = setCookieHeader(l);
  assert.match(header, /HttpOnly/);
  assert.match(header, /SameSite=Lax/);
  const maxAge = Number(/Max-Age=(\d+)/.exec(header)![1]);
  assert.ok(maxAge > 3500 && maxAge <= 3600, `Max-Age follows the session, not a year: ${maxAge}`);
  assert.doesNotMatch(header, /Secure/, 'no Secure flag on plain-HTTP loopback');
  assert.deepEqual(decodeLearnerCookie(readCookie(`a=b; ${header.split(';')[0]}`, 'elab_learner')), l);
});

test('a tampered, foreign, old-format or expired cookie is no learner', () => {
  const good = encodeLearnerCookie({ id: 'abc123', name: 'n', session: 'x', exp: later() });
  const [payload, mac] = good.split('.');
  const forged = Buffer.from(JSON.stringify({ id: 'someone-else', name: 'n', s: 'x', exp: later() })).toString('base64url');
  assert.equal(decodeLearnerCookie(`${forged}.${mac}`), null);
  assert.equal(decodeLearnerCookie(`${payload}.${mac!.slice(1)}x`), null);
  assert.equal(decodeLearnerCookie('garbage'), null);
  assert.equal(decodeLearnerCookie(undefined), null);
  const expired = encodeLearnerCookie({ id: 'abc123', name: 'n', session: 'x', exp: 1000 });
  assert.equal(decodeLearnerCookie(expired), null, 'an expired cookie is refused even if the browser kept it');
  assert.equal(readCookie('elab_learner=%E0%A4%A', 'elab_learner'), undefined, 'a malformed cookie value is no cookie, not a crash');
});

test('HTTPS public origin → Secure cookies; bad variables name themselves', () => {
  assert.equal(parseWebEnv({ ELAB_WEB_ORIGIN: 'https://lab.example.org' }).secureCookies, true);
  assert.equal(parseWebEnv({ ELAB_WEB_ORIGIN: 'http://10.0.0.5:3000' }).secureCookies, false);
  assert.equal(parseWebEnv({ ELAB_WEB_ORIGIN: 'https://lab.example.org', ELAB_SECURE_COOKIES: '0' }).secureCookies, false, 'an operator may turn it off');
  assert.equal(parseWebEnv({ ELAB_SECURE_COOKIES: '1' }).secureCookies, true, 'or on, behind a TLS proxy on loopback');
  assert.throws(() => parseWebEnv({ ELAB_SECURE_COOKIES: 'maybe' }), /ELAB_SECURE_COOKIES/);
  assert.throws(
    () => parseWebEnv({ ELAB_WEB_ORIGIN: 'https://lab.example.org/path' }),
    /ELAB_WEB_ORIGIN="https:\/\/lab.example.org\/path": .* is not an origin/,
  );
  assert.deepEqual(parseWebEnv({ ELAB_WEB_ORIGIN: 'https://a.example, https://b.example/' }).publicOrigins, ['https://a.example', 'https://b.example']);
});
