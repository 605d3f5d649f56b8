// labd's policy (core/policy.ts) against the real daemon: the netns isolation model, the caps on
// labs and learners, per-client limits, display names, and learner sessions that can be ended.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { call, downAllLabs, isRoot, startLabd, upLab, type LabdProcess } from '../test-support/labd-harness.ts';

const skip = !isRoot && 'needs root (real netns labs)';
const labsDir = join(import.meta.dirname, '../../../../labs');
/** A lab of this tree that lists only the netns driver (which ones do changes as labs gain drivers). */
const netnsOnlyLab = readdirSync(labsDir).find((id) => {
  try {
    return /^drivers:\s*\[\s*netns\s*\]\s*$/m.test(readFileSync(join(labsDir, id, 'lab.yaml'), 'utf8'));
  } catch {
    return false;
  }
});
const started: LabdProcess[] = [];
after(async () => {
  for (const l of started) {
    await l.stop();
    downAllLabs(l.stateDir);
  }
});
async function labd(opts: Parameters<typeof startLabd>[0]): Promise<LabdProcess> {
  const l = await startLabd(opts);
  started.push(l);
  return l;
}

/** A learner made the way the web makes one (with a session), and a lab token through that session. */
async function learnerWithSession(l: LabdProcess, name: string, labId = 'hello-ebpf', client?: string) {
  const c = await call(l.url, 'POST', '/v1/learners', l.serviceToken, { displayName: name, ...(client ? { client } : {}) });
  assert.equal(c.status, 201, c.text);
  const t = await call(l.url, 'POST', '/v1/tokens', l.serviceToken, { learnerId: c.body.learnerId, labId, session: c.body.session });
  assert.equal(t.status, 201, t.text);
  return { learnerId: c.body.learnerId as string, session: c.body.session as string, token: t.body.token as string };
}

test('without --trust-learners, netns serves one learner at a time, no class, and only on loopback', { skip, timeout: 180_000 }, async () => {
  const l = await labd({ trustLearners: false });
  const ann = await learnerWithSession(l, 'Ann');
  const bob = await learnerWithSession(l, 'Bob');
  await upLab(l, ann.token);
  const refused = await call(l.url, 'POST', '/v1/lab', bob.token);
  assert.equal(refused.status, 403, refused.text);
  assert.match(refused.body.error, /shares this host's kernel.*another learner has a lab/);
  assert.match(refused.body.hint, /vm driver.*--trust-learners/);
  // Ann stops hers: now Bob is the one learner.
  const stopped = await call(l.url, 'DELETE', '/v1/lab', ann.token);
  assert.equal(stopped.status, 200, stopped.text);
  assert.equal(stopped.body.state, 'down');
  await upLab(l, bob.token);
  assert.equal((await call(l.url, 'DELETE', '/v1/lab', bob.token)).status, 200);

  const instructor = readFileSync(join(l.stateDir, 'instructor-token'), 'utf8').trim();
  assert.ok(netnsOnlyLab, `some lab in ${labsDir} runs only on netns`);
  const netnsOnly = await call(l.url, 'POST', '/v1/classes', instructor, { name: 'c', lessons: [{ slug: netnsOnlyLab, title: 'P', labId: netnsOnlyLab }] });
  assert.equal(netnsOnly.status, 403, 'a class of a netns-only lab is refused');
  assert.match(netnsOnly.body.error, /runs only on netns.*does not serve it to a class/);
  const cls = await call(l.url, 'POST', '/v1/classes', instructor, { name: 'c', lessons: [{ slug: 'hello-ebpf', title: 'H', labId: 'hello-ebpf' }] });
  assert.equal(cls.status, 201, 'a lab with another driver may be in a class');
  const joined = await call(l.url, 'POST', '/v1/classes/join', l.serviceToken, { code: cls.body.code, displayName: 'Cleo' });
  assert.equal(joined.status, 201, joined.text);
  const t = await call(l.url, 'POST', '/v1/tokens', l.serviceToken, { learnerId: joined.body.learnerId, labId: 'hello-ebpf', session: joined.body.session });
  const member = await call(l.url, 'POST', '/v1/lab', t.body.token);
  assert.equal(member.status, 403, 'a class member gets no netns lab');
  assert.match(member.body.error, /in a class/);

  // Served beyond loopback (the web's public origin is not a loopback one): no netns at all.
  const exposed = await labd({ trustLearners: false, env: { ELAB_ALLOWED_ORIGINS: 'https://lab.example.org' } });
  const solo = await learnerWithSession(exposed, 'Solo');
  const r = await call(exposed.url, 'POST', '/v1/lab', solo.token);
  assert.equal(r.status, 403);
  assert.match(r.body.error, /beyond loopback/);
});

test('with --trust-learners, two learners run netns labs; the caps on labs still hold', { skip, timeout: 180_000 }, async () => {
  const l = await labd({ args: ['--max-labs', '2', '--max-labs-per-learner', '1'] });
  assert.match(l.output(), /--trust-learners: netns labs are served to every learner/, 'labd warns loudly at start');
  const ann = await learnerWithSession(l, 'Ann');
  const bob = await learnerWithSession(l, 'Bob');
  await upLab(l, ann.token);
  const annSecond = await call(l.url, 'POST', '/v1/tokens', l.serviceToken, { learnerId: ann.learnerId, labId: 'iptables-vs-ebpf', session: ann.session });
  const perLearner = await call(l.url, 'POST', '/v1/lab', annSecond.body.token);
  assert.equal(perLearner.status, 429, perLearner.text);
  assert.match(perLearner.body.error, /you have 1 labs running, the most one learner may have/);
  await upLab(l, bob.token);
  const cleo = await learnerWithSession(l, 'Cleo');
  const total = await call(l.url, 'POST', '/v1/lab', cleo.token);
  assert.equal(total.status, 503, total.text);
  assert.match(total.body.error, /already runs 2 labs, its limit/);
});

test('learners: per-client rate, a total cap, printable names, and sessions that can be ended', { skip, timeout: 120_000 }, async () => {
  const l = await labd({ env: { ELAB_MAX_LEARNERS: '40' } });
  const make = (client: string, name = 'x') => call(l.url, 'POST', '/v1/learners', l.serviceToken, { displayName: name, client });
  const flood = [];
  for (let i = 0; i < 200; i++) flood.push((await make('10.0.0.1')).status);
  assert.equal(flood.filter((s) => s === 201).length, 30, 'one address makes 30 learners in the window');
  assert.ok(
    flood.slice(30).every((s) => s === 429),
    'then 429',
  );
  for (let i = 0; i < 10; i++) assert.equal((await make('10.0.0.2')).status, 201, 'another address is not limited by the first');
  const full = await make('10.0.0.3');
  assert.equal(full.status, 503, 'past ELAB_MAX_LEARNERS no learner is made');
  assert.match(full.body.error, /limit of 40 learners/);

  const crlf = await call(l.url, 'POST', '/v1/learners', l.serviceToken, { displayName: 'Eve\r\nSet-Cookie: x=1' });
  assert.equal(crlf.status, 400);
  assert.match(crlf.body.error, /displayName: a display name may hold printable text only/);

  const l2 = await labd({});
  const ann = await learnerWithSession(l2, 'Ann');
  assert.equal((await call(l2.url, 'GET', '/v1/lab', ann.token)).status, 200);
  assert.equal((await call(l2.url, 'DELETE', '/v1/learners/session', l2.serviceToken, { session: ann.session })).body.ended, true);
  assert.equal((await call(l2.url, 'GET', '/v1/lab', ann.token)).status, 401, 'the tokens minted through it die with it');
  const again = await call(l2.url, 'POST', '/v1/tokens', l2.serviceToken, { learnerId: ann.learnerId, labId: 'hello-ebpf', session: ann.session });
  assert.equal(again.status, 401, 'an ended session mints nothing');
  assert.match(again.body.error, /session has ended or expired/);
});

test('wrong join codes lock out only the client that sent them; CR/LF names are refused on join', { skip, timeout: 60_000 }, async () => {
  const l = await labd({});
  const instructor = readFileSync(join(l.stateDir, 'instructor-token'), 'utf8').trim();
  const cls = await call(l.url, 'POST', '/v1/classes', instructor, { name: 'c', lessons: [{ slug: 'hello-ebpf', title: 'H', labId: 'hello-ebpf' }] });
  const join_ = (client: string, code = cls.body.code, displayName = 'Ann') =>
    call(l.url, 'POST', '/v1/classes/join', l.serviceToken, { code, displayName, client });
  for (let i = 0; i < 30; i++) assert.equal((await join_('10.0.0.66', `WRONG${String(i).padStart(3, '2')}`)).status, 404);
  assert.equal((await join_('10.0.0.66')).status, 429, 'the guesser is locked out, even with the right code');
  assert.equal((await call(l.url, 'GET', `/v1/classes/lookup?code=${cls.body.code}&client=10.0.0.66`, l.serviceToken)).status, 429);
  assert.equal((await join_('10.0.0.7')).status, 201, 'another client joins all the same');
  assert.equal((await call(l.url, 'GET', `/v1/classes/lookup?code=${cls.body.code}&client=10.0.0.8`, l.serviceToken)).status, 200);
  const crlf = await join_('10.0.0.7', cls.body.code, 'Ann\nBob');
  assert.equal(crlf.status, 400);
  assert.match(crlf.body.error, /printable text only/);
});

test("joining a class takes down the learner's running netns lab, with a notice; progress stays", { skip, timeout: 180_000 }, async () => {
  const l = await labd({ trustLearners: false });
  const carol = await learnerWithSession(l, 'Carol');
  const instanceId = await upLab(l, carol.token);
  assert.equal((await call(l.url, 'POST', '/v1/lab/checks', carol.token, { step: 'map' })).status, 200, 'one attempt recorded');
  const instructor = readFileSync(join(l.stateDir, 'instructor-token'), 'utf8').trim();
  const cls = await call(l.url, 'POST', '/v1/classes', instructor, { name: 'c', lessons: [{ slug: 'hello-ebpf', title: 'H', labId: 'hello-ebpf' }] });
  assert.equal(cls.status, 201, cls.text);
  const joined = await call(l.url, 'POST', '/v1/classes/join', l.serviceToken, { code: cls.body.code, learnerId: carol.learnerId, displayName: 'Carol' });
  assert.equal(joined.status, 201, joined.text);
  assert.deepEqual(joined.body.stoppedLabs, ['hello-ebpf']);
  assert.match(joined.body.notice, /hello-ebpf ran on this host's kernel.*stopped and your progress is kept/);
  // Down for real: labd says so and its namespaces are gone from the host.
  const view = await call(l.url, 'GET', '/v1/lab', carol.token);
  assert.equal(view.body.state, 'down', view.text);
  assert.equal(view.body.steps.find((x: { id: string }) => x.id === 'map').attempts, 1, 'her progress is kept');
  assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(`el${instanceId}`), 'its network namespaces are gone');
  // And it cannot come back while she is in the class.
  const again = await call(l.url, 'POST', '/v1/lab', carol.token);
  assert.equal(again.status, 403, again.text);
  assert.match(again.body.error, /in a class/);
  // A learner with no lab joins with nothing stopped.
  const dan = await call(l.url, 'POST', '/v1/classes/join', l.serviceToken, { code: cls.body.code, displayName: 'Dan' });
  assert.deepEqual(dan.body.stoppedLabs, []);
  assert.equal(dan.body.notice, undefined);
});
