// The class endpoints against the real labd and real netns labs (needs root): who may do what,
// the live room, follow (read-only, enforced in labd), broadcasts, export, and ending a class.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CloseCode, encodeResize, encodeText, Op } from '@ebpf-lab/protocol';
import WebSocket from 'ws';
import { labCgroupBase } from '../drivers/netns/cgroup.ts';
import { call, downAllLabs, isRoot, startLabd, Term, upLab, WEB_ORIGIN, type LabdProcess } from '../test-support/labd-harness.ts';
import { SseReader } from './sse-reader.ts';

const skip = !isRoot && 'needs root (real netns labs)';
let labd: LabdProcess;
let instructor: string;
let classId: string;
let code: string;
const people: Record<'ann' | 'bob', { learnerId: string; token: string; instance?: string }> = {} as never;

/** Joins like the web does (service token), then mints the learner's lab token. */
async function enrol(name: string, withCode = code): Promise<{ learnerId: string; token: string }> {
  const j = await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code: withCode, displayName: name });
  assert.equal(j.status, 201, j.text);
  const t = await call(labd.url, 'POST', '/v1/tokens', labd.serviceToken, { learnerId: j.body.learnerId, labId: 'hello-ebpf' });
  return { learnerId: j.body.learnerId, token: t.body.token };
}

function follow(query: string, opts: { token?: string; origin?: string | null } = {}): Promise<Term> {
  const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const ws = new WebSocket(`${labd.url.replace(/^http/, 'ws')}/v1/classes/follow${query}`, {
    headers,
    ...(opts.origin === null ? {} : { origin: opts.origin ?? WEB_ORIGIN }),
  });
  const t = new Term(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(t));
    ws.once('error', reject);
  });
}

before(async () => {
  if (skip) return;
  labd = await startLabd();
  instructor = readFileSync(join(labd.stateDir, 'instructor-token'), 'utf8').trim();
  const c = await call(labd.url, 'POST', '/v1/classes', instructor, {
    name: 'Tuesday',
    lessons: [{ slug: 'hello-ebpf', title: 'Hello eBPF', labId: 'hello-ebpf' }],
  });
  assert.equal(c.status, 201, c.text);
  ({ classId, code } = c.body);
  people.ann = await enrol('Ann');
  people.bob = await enrol('Bob');
  people.ann.instance = await upLab(labd, people.ann.token);
  people.bob.instance = await upLab(labd, people.bob.token);
});

after(async () => {
  if (skip) return;
  await labd.stop();
  downAllLabs(labd.stateDir);
});

test('a learner token cannot create classes, read the roster, watch the room, broadcast, export or end (403); no token is 401', { skip }, async () => {
  const ann = people.ann.token;
  const tries: [string, string, unknown?][] = [
    ['POST', '/v1/classes', { name: 'mine', lessons: [{ slug: 'hello-ebpf', title: 'x', labId: 'hello-ebpf' }] }],
    ['GET', '/v1/classes'],
    ['GET', `/v1/classes/roster?class=${classId}`],
    ['GET', `/v1/classes/events?class=${classId}`],
    ['POST', '/v1/classes/broadcast', { classId, message: 'free pizza' }],
    ['GET', `/v1/classes/export?class=${classId}&format=csv`],
    ['POST', '/v1/classes/end', { classId }],
  ];
  for (const [method, path, body] of tries) {
    assert.equal((await call(labd.url, method, path, ann, body)).status, 403, `${method} ${path} with a learner token`);
    assert.equal((await call(labd.url, method, path, null, body)).status, 401, `${method} ${path} without a token`);
    assert.equal((await call(labd.url, method, path, labd.serviceToken, body)).status, 403, `${method} ${path} with the service token`);
  }
  assert.equal((await call(labd.url, 'POST', '/v1/classes/join', ann, { code, displayName: 'x' })).status, 403, 'only the web joins learners');
  const roster = await call(labd.url, 'GET', `/v1/classes/roster?class=${classId}`, instructor);
  assert.equal(roster.status, 200);
  assert.deepEqual(
    roster.body.learners.map((l: { displayName: string }) => l.displayName),
    ['Ann', 'Bob'],
  );
});

test('a wrong join code is refused (404), an ill-formed one too, and nothing is enrolled', { skip }, async () => {
  const wrong = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`;
  const r = await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code: wrong, displayName: 'Mallory' });
  assert.equal(r.status, 404);
  assert.equal((await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code: "' OR 1=1 --", displayName: 'Mallory' })).status, 404);
  assert.equal((await call(labd.url, 'GET', `/v1/classes/lookup?code=${wrong}`, labd.serviceToken)).status, 404);
  const ok = await call(labd.url, 'GET', `/v1/classes/lookup?code=${code.toLowerCase()}`, labd.serviceToken);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.name, 'Tuesday');
  assert.equal(ok.body.code, undefined, 'the lookup does not need to repeat the code');
  const roster = await call(labd.url, 'GET', `/v1/classes/roster?class=${classId}`, instructor);
  assert.equal(roster.body.learners.length, 2, 'Mallory is not in the class');
});

test('follow is refused to learners, to no token, to foreign origins, and for non-members', { skip }, async () => {
  const q = `?class=${classId}&learner=${people.ann.learnerId}`;
  const cases: [string, Parameters<typeof follow>[1], number][] = [
    ["bob's learner token", { token: people.bob.token }, CloseCode.Forbidden],
    ["ann's own learner token", { token: people.ann.token }, CloseCode.Forbidden],
    ['no token', {}, CloseCode.Unauthorized],
    ['a foreign origin', { token: instructor, origin: 'https://evil.example' }, CloseCode.Forbidden],
    ['no origin', { token: instructor, origin: null }, CloseCode.Forbidden],
  ];
  for (const [what, opts, want] of cases) {
    const t = await follow(q, opts);
    const c = await t.closed;
    assert.equal(c.code, want, what);
    assert.equal(t.frames.length, 0, `${what}: nothing is sent before the refusal`);
  }
  const stranger = await follow(`?class=${classId}&learner=lnobody`, { token: instructor });
  assert.equal((await stranger.closed).code, CloseCode.NotFound);
});

test("a learner cannot attach to another learner's lab", { skip }, async () => {
  const t = await Term.open(labd.url, `?token=${people.bob.token}&instance=${people.ann.instance}`, {});
  assert.equal((await t.closed).code, CloseCode.Forbidden);
  assert.equal(t.frames.length, 0);
});

test("follow shows the learner's terminal live, and input from the follower never reaches the shell", { skip }, async () => {
  const ann = await Term.open(labd.url, `?token=${people.ann.token}`, {});
  ann.ws.send(encodeResize(100, 30));
  ann.type('echo BEFORE-$((20+1))\r');
  await ann.waitFor(() => ann.text().includes('BEFORE-21'), "the learner's own echo");
  const f = await follow(`?class=${classId}&learner=${people.ann.learnerId}`, { token: instructor });
  await f.waitFor(() => f.frames.some((x) => x.op === Op.Replay), 'Hello and Replay');
  assert.equal(f.frames[0]!.op, Op.Hello);
  assert.match(f.text(Op.Replay), /BEFORE-21/, 'the follower catches up from the recorder');

  ann.type('echo LIVE-$((30+3))\r');
  await f.waitFor(() => f.text().includes('LIVE-33'), 'live output in the follow view');

  // Everything a hostile follower could send: typing, a paste, resize, pause.
  f.ws.send(encodeText(Op.Input, 'touch /tmp/followed-$LAB_INSTANCE; echo INJECTED\r'));
  f.ws.send(encodeResize(10, 3));
  f.ws.send(new Uint8Array([Op.Pause]));
  // labd's pong comes after it handled every frame before the ping (one ordered connection): a
  // forwarded frame would be in Ann's pty by then, ahead of her probe.
  await new Promise<void>((resolve, reject) => {
    f.ws.once('pong', () => resolve());
    f.ws.ping((e?: Error) => e && reject(e));
  });
  ann.type('stty size; ls /tmp/followed-$LAB_INSTANCE 2>&1 | tail -1; echo PROBE-$((40+2))\r');
  await ann.waitFor(() => ann.text().includes('PROBE-42'), 'the probe');
  assert.match(ann.text(), /No such file/, "the follower's command never ran");
  assert.match(ann.text(), /30 100/, "the follower's resize was ignored");
  assert.doesNotMatch(ann.text(), /INJECTED/, "the follower's text never reached the pty");
  await f.waitFor(() => f.text().includes('PROBE-42'), 'the follower keeps watching (not paused)');
  await f.close();
  await ann.close();
});

// How fast the room follows is a figure for scripts/bench-class-load.ts; here each update must arrive at all.
test('the room updates live: check attempts, results, the stuck flag and lab state', { skip }, async () => {
  const room = await SseReader.open(`${labd.url}/v1/classes/events?class=${classId}`, instructor);
  assert.equal(room.status, 200);
  const bob = (e: { data: any }) => e.data.learners?.find((l: { learnerId: string }) => l.learnerId === people.bob.learnerId);
  await room.waitFor((e) => e.event === 'roster' && bob(e)?.lab.state === 'ready', "Bob's lab ready");
  for (let i = 1; i <= 3; i++) {
    const r = await call(labd.url, 'POST', '/v1/lab/checks', people.bob.token, { step: 'bpftrace' });
    assert.equal(r.body[0].status, 'fail');
    await room.waitFor((x) => x.event === 'roster' && bob(x)?.attempts === i, `attempt ${i} in the room`, 30_000);
  }
  const last = bob(room.events.at(-1)!);
  assert.equal(last.failStreak, 3);
  assert.equal(last.stuck, true);
  assert.match(last.stuckReason, /3 failed checks/);
  assert.equal(last.lastCheck.status, 'fail');
  assert.equal(last.step.id, 'bpftrace');
  room.close();
});

test("a broadcast reaches the learners' streams and the room; a go-to names lesson and step", { skip }, async () => {
  const annStream = await SseReader.open(`${labd.url}/v1/classes/learner-events?learner=${people.ann.learnerId}`, labd.serviceToken);
  const room = await SseReader.open(`${labd.url}/v1/classes/events?class=${classId}`, instructor);
  await annStream.waitFor((e) => e.event === 'class', 'the class on connect');
  const sent = await call(labd.url, 'POST', '/v1/classes/broadcast', instructor, { classId, message: 'Five minutes left' });
  assert.equal(sent.status, 201);
  await annStream.waitFor((e) => e.event === 'broadcast' && e.data.message === 'Five minutes left', 'the message', 30_000);
  await room.waitFor((e) => e.event === 'broadcast' && e.data.id === sent.body.id, 'the room sees what was sent');
  const go = await call(labd.url, 'POST', '/v1/classes/broadcast', instructor, { classId, goto: { lesson: 'hello-ebpf', step: 'map' } });
  assert.equal(go.status, 201);
  await annStream.waitFor((e) => e.event === 'broadcast' && e.data.kind === 'goto' && e.data.step === 'map', 'the go-to');
  assert.equal((await call(labd.url, 'POST', '/v1/classes/broadcast', instructor, { classId, goto: { lesson: 'hello-ebpf', step: 'nope' } })).status, 404);
  assert.equal((await call(labd.url, 'POST', '/v1/classes/broadcast', instructor, { classId, goto: { lesson: 'cilium-kind' } })).status, 404);
  annStream.close();
  // A new page load repeats the last message, never the go-to.
  const again = await SseReader.open(`${labd.url}/v1/classes/learner-events?learner=${people.ann.learnerId}`, labd.serviceToken);
  await again.waitFor((e) => e.event === 'broadcast', 'the replayed message');
  // What the connect replays comes before anything live: once a new message arrives, the replay is complete.
  const live = await call(labd.url, 'POST', '/v1/classes/broadcast', instructor, { classId, message: 'After the reload' });
  assert.equal(live.status, 201);
  await again.waitFor((e) => e.event === 'broadcast' && e.data.id === live.body.id, 'the live message after the replay');
  assert.deepEqual(
    again.events.filter((e) => e.event === 'broadcast').map((e) => [e.data.kind, e.data.replay ?? false]),
    [
      ['message', true],
      ['message', false],
    ],
  );
  again.close();
  room.close();
});

test('export as CSV and JSON: learner × step with status, attempts, first pass, last message', { skip }, async () => {
  const json = await call(labd.url, 'GET', `/v1/classes/export?class=${classId}&format=json`, instructor);
  assert.equal(json.status, 200);
  const bobRows = json.body.rows.filter((r: { learner: string }) => r.learner === 'Bob');
  assert.deepEqual(
    bobRows.map((r: { step: string; status: string; attempts: number }) => `${r.step}:${r.status}:${r.attempts}`),
    ['bpftrace:fail:3', 'hello:pending:0', 'map:pending:0'],
  );
  const csv = await call(labd.url, 'GET', `/v1/classes/export?class=${classId}&format=csv`, instructor);
  assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
  assert.match(csv.headers.get('content-disposition') ?? '', /attachment; filename="class-.*\.csv"/);
  const lines = csv.text.trim().split('\r\n');
  assert.equal(lines.length, 1 + 2 * 3, 'a header and 2 learners × 3 steps');
  assert.match(
    lines.find((l) => l.startsWith('Bob,') && l.includes(',bpftrace,'))!,
    /,fail,3,,,no bpftrace\b/,
  );
});

test(
  "ending the class reaps every member's lab, one still starting too (namespaces and cgroups gone); joining is refused after; ending again is harmless",
  { skip },
  async () => {
    // Carol's lab is asked for and not waited for: whether it is still starting or just ready when
    // the class ends, it must not outlive the class.
    const carol = await enrol('Carol');
    assert.equal((await call(labd.url, 'POST', '/v1/lab', carol.token)).status, 200);
    const end = await call(labd.url, 'POST', '/v1/classes/end', instructor, { classId });
    assert.equal(end.status, 200, end.text);
    assert.equal(end.body.reaped.length, 3, `Ann's, Bob's and Carol's labs: ${end.text}`);
    for (const id of [people.ann.instance, people.bob.instance]) assert.ok(end.body.reaped.includes(id), `${id} reaped`);
    assert.deepEqual(end.body.errors, []);
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const id of end.body.reaped) {
      assert.ok(!netns.includes(`el${id}-`), `no namespace of ${id} is left`);
      assert.ok(!existsSync(join(labCgroupBase(), `el${id}`)), `no cgroup of ${id} is left`);
      assert.ok(!existsSync(join(labd.stateDir, 'instances', id)), `no instance dir of ${id} is left`);
    }
    for (const who of [people.ann.token, carol.token]) assert.equal((await call(labd.url, 'GET', '/v1/lab', who)).body.state, 'down');
    assert.equal((await call(labd.url, 'POST', '/v1/classes/join', labd.serviceToken, { code, displayName: 'Late' })).status, 410);
    const roster = await call(labd.url, 'GET', `/v1/classes/roster?class=${classId}`, instructor);
    assert.ok(roster.body.class.endedAt, 'the roster of an ended class is still readable');
    assert.equal(roster.body.learners.find((l: { displayName: string }) => l.displayName === 'Bob').attempts, 3, 'results are kept');

    const again = await call(labd.url, 'POST', '/v1/classes/end', instructor, { classId });
    assert.equal(again.status, 200, `ending an ended class is not an error: ${again.text}`);
    assert.deepEqual(again.body.reaped, [], 'nothing left to reap');
    assert.deepEqual(again.body.errors, []);
    assert.equal(again.body.endedAt, end.body.endedAt, 'the class keeps its first end time');
  },
);
