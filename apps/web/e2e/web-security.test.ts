// The web's cookie rules against the real web server and the real labd (needs root like every
// e2e test): the instructor's session cookie is HttpOnly, SameSite=Strict and scoped to
// /instructor, and writes authenticated by a cookie are refused when they come from another site.
// Plain HTTP on purpose: a browser would not even send these cross-site requests, and the server
// must refuse them anyway.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { webStack } from './support/stack';

const isRoot = process.getuid?.() === 0;
const EVIL = 'https://evil.example';

/** The attributes of one Set-Cookie line, lower-cased names: {path: '/instructor', samesite: 'Strict', httponly: ''}. */
function attrs(setCookie: string): { name: string; value: string; attrs: Map<string, string> } {
  const [first, ...rest] = setCookie.split(';').map((s) => s.trim());
  const eq = first!.indexOf('=');
  return {
    name: first!.slice(0, eq),
    value: first!.slice(eq + 1),
    attrs: new Map(
      rest.map((a) => {
        const i = a.indexOf('=');
        return i < 0 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
      }),
    ),
  };
}

describe("the web's cookies and its same-origin check", { skip: !isRoot && 'needs root: labd makes network namespaces' }, () => {
  const fx = webStack();
  let origin = '';
  before(() => {
    ({ origin } = fx);
  });
  let cookie = '';

  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${fx.web.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('signing in sets the instructor session cookie HttpOnly, SameSite=Strict, Path=/instructor; signing out clears it the same way', async () => {
    const token = readFileSync(join(fx.stateDir, 'instructor-token'), 'utf8').trim();
    const r = await post('/instructor/api/session', { token }, { origin });
    assert.equal(r.status, 200, await r.text());
    const set = r.headers
      .getSetCookie()
      .map(attrs)
      .find((c) => c.name === 'elab_instructor');
    assert.ok(set, `a session cookie is set: ${r.headers.getSetCookie().join(' | ')}`);
    assert.equal(set.attrs.get('path'), '/instructor', 'sent to the instructor pages only');
    assert.equal(set.attrs.get('samesite')?.toLowerCase(), 'strict', 'never sent from another site');
    assert.ok(set.attrs.has('httponly'), 'page scripts cannot read it');
    assert.ok(Number(set.attrs.get('max-age')) > 0, 'it expires');
    assert.notEqual(set.value, token, 'the browser gets a session, not the instructor token');
    cookie = `elab_instructor=${set.value}`;

    const out = await fetch(`${fx.web.url}/instructor/api/session`, { method: 'DELETE', headers: { origin, cookie: 'elab_instructor=x' } });
    const cleared = out.headers
      .getSetCookie()
      .map(attrs)
      .find((c) => c.name === 'elab_instructor')!;
    assert.equal(cleared.attrs.get('path'), '/instructor', 'the clearing cookie has the same path, or the browser would keep the old one');
    assert.equal(cleared.attrs.get('max-age'), '0');
  });

  it('a cookie-authenticated instructor write from another site is refused and changes nothing', async () => {
    const lessons = ['hello-ebpf'];
    // A browser sends Origin (or at least Sec-Fetch-Site) with every cross-site write.
    const tries = [
      ['another site', { origin: EVIL }],
      ['a malformed Origin', { origin: 'not a url' }],
      ['another site, said by Sec-Fetch-Site alone', { 'sec-fetch-site': 'cross-site' }],
    ] as const;
    for (const [what, headers] of tries) {
      const r = await post('/instructor/api/classes', { name: `from ${what}`, lessons }, { cookie, ...headers });
      assert.equal(r.status, 403, `${what}: ${r.status}`);
    }
    const list = await fetch(`${fx.web.url}/instructor/api/classes`, { headers: { cookie } });
    assert.equal(list.status, 200, 'a same-site read with the cookie works');
    assert.deepEqual(await list.json(), [], 'no class was created by the refused writes');

    const ok = await post('/instructor/api/classes', { name: 'from our own page', lessons }, { cookie, origin });
    assert.equal(ok.status, 201, `the same write from our own origin is allowed: ${await ok.clone().text()}`);
    assert.equal(((await ok.json()) as { name: string }).name, 'from our own page');
  });

  it('a cookie-authenticated learner write from another site is refused; the same write from our origin reaches labd', async () => {
    // The lesson page's first visit asks for a learner (POST /api/learner, from our own page).
    const first = await post('/api/learner', {}, { origin });
    assert.equal(first.status, 201, await first.clone().text());
    const learner = first.headers
      .getSetCookie()
      .map(attrs)
      .find((c) => c.name === 'elab_learner');
    assert.ok(learner, 'a first visit gets a learner cookie');
    assert.equal(learner.attrs.get('samesite')?.toLowerCase(), 'lax');
    assert.ok(learner.attrs.has('httponly'));
    const jar = `elab_learner=${learner.value}`;

    const evil = await post('/api/lab/hello-ebpf/checks', { step: 'bpftrace' }, { cookie: jar, origin: EVIL });
    assert.equal(evil.status, 403);
    const view = (await (await fetch(`${fx.web.url}/api/lab/hello-ebpf`, { headers: { cookie: jar } })).json()) as {
      steps: { id: string; attempts: number }[];
    };
    assert.equal(view.steps.find((s) => s.id === 'bpftrace')!.attempts, 0, 'the refused check was never recorded');

    // From our own page it is labd that answers: no lab is running, so 409, not the web's 403.
    const mine = await post('/api/lab/hello-ebpf/checks', { step: 'bpftrace' }, { cookie: jar, origin });
    assert.equal(mine.status, 409, await mine.text());
  });
});
