// A 401 from labd means two different things: this learner's session ended (reason 'session': the
// cookie is worth nothing) or labd refused the web's own service token (the operator's problem).
// Only the first may cost a learner their cookie; the second must not log every learner out.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';

let answer: { error: string; reason?: string } = { error: 'this learner session has ended or expired', reason: 'session' };
const fake = createServer((req, res) => {
  req.resume();
  res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
});
await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
after(() => fake.close());

process.env.ELAB_SERVICE_TOKEN = 's'.repeat(43);
process.env.ELAB_LABD_URL = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
const { encodeLearnerCookie, LEARNER_COOKIE, sessionFor } = await import('./session');

const cookie = `${LEARNER_COOKIE}=${encodeLearnerCookie({ id: 'abc123', name: 'n', session: 'S'.repeat(43), exp: Math.floor(Date.now() / 1000) + 3600 })}`;

test('labd says the learner session ended: no learner (the cookie may be cleared)', async () => {
  answer = { error: 'this learner session has ended or expired', reason: 'session' };
  assert.equal(await sessionFor(cookie, 'hello-ebpf'), null);
});

test('labd refuses the service token: an error for the operator, never "no learner"', async () => {
  answer = { error: 'unknown token' };
  await assert.rejects(sessionFor(cookie, 'hello-ebpf'), (e: Error & { status?: number }) => e.status === 502 && /service token/.test(e.message));
});
