import assert from 'node:assert/strict';
import { test } from 'node:test';

process.env.PORT = '3123';
process.env.ELAB_WEB_ORIGIN = 'https://lab.example.org';
const { clientAddress, requestRefusal, upgradeRefusal } = await import('./request-guard');

const h = (x: Record<string, string>) => new Headers(x);

test('Host: loopback names on our port and the public origin; anything else is 421', () => {
  for (const host of ['127.0.0.1:3123', 'localhost:3123', '[::1]:3123', 'LOCALHOST:3123', 'lab.example.org']) {
    assert.equal(requestRefusal('GET', h({ host })), null, host);
  }
  for (const host of ['evil.test:3000', 'evil.test:3123', '127.0.0.1:3000', '127.0.0.2:3123', 'lab.example.org.evil.test', '']) {
    assert.equal(requestRefusal('GET', h({ host }))?.status, 421, host);
  }
  assert.equal(requestRefusal('GET', {})?.status, 421, 'no Host at all');
});

test('the DNS-rebinding request (Host evil.test with a matching Origin) is refused on the Host', () => {
  const r = requestRefusal('POST', h({ host: 'evil.test:3000', origin: 'http://evil.test:3000' }));
  assert.equal(r?.status, 421);
  assert.equal(upgradeRefusal(h({ host: 'evil.test:3000', origin: 'http://evil.test:3000' }))?.status, 421);
});

test('writes need our Origin (or no browser cross-site marker); upgrades need our Origin', () => {
  const host = '127.0.0.1:3123';
  assert.equal(requestRefusal('POST', h({ host, origin: 'http://127.0.0.1:3123' })), null);
  assert.equal(requestRefusal('PUT', h({ host, origin: 'https://lab.example.org' })), null);
  assert.equal(requestRefusal('POST', h({ host, origin: 'http://evil.test' }))?.status, 403);
  assert.equal(requestRefusal('POST', h({ host, origin: 'null' }))?.status, 403);
  assert.equal(requestRefusal('POST', h({ host })), null, 'a non-browser client (no Origin, no Sec-Fetch-Site)');
  assert.equal(requestRefusal('POST', h({ host, 'sec-fetch-site': 'cross-site' }))?.status, 403);
  assert.equal(requestRefusal('GET', h({ host, origin: 'http://evil.test' })), null, 'reads are not writes');
  assert.equal(upgradeRefusal(h({ host, origin: 'http://127.0.0.1:3123' })), null);
  assert.equal(upgradeRefusal(h({ host }))?.status, 403, 'a socket without an Origin');
  assert.equal(upgradeRefusal({ host, origin: 'http://evil.test' })?.status, 403, 'node header objects work too');
});

test('the client address is the peer unless a trusted proxy on loopback forwarded it', () => {
  assert.equal(clientAddress('10.0.0.5', '1.2.3.4'), '10.0.0.5', 'X-Forwarded-For is not trusted by default');
  assert.equal(clientAddress('127.0.0.1', 'spoofed, 1.2.3.4', true), '1.2.3.4', 'the proxy appends the real peer last');
  assert.equal(clientAddress('10.0.0.5', '1.2.3.4', true), '10.0.0.5', 'only a proxy on loopback is trusted');
});
