import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode, encodeAck, encodeResize, FlowControl, Op } from '@ebpf-lab/protocol';
import { call, isRoot, learner, Term, twoLearnersWithLab } from '../test-support/labd-harness.ts';

const skip = !isRoot && 'needs root (real netns labs)';
const fx = twoLearnersWithLab(skip);

async function refused(query: string, opts: Parameters<typeof Term.open>[2]): Promise<{ code: number; reason: string; frames: number }> {
  const t = await Term.open(fx.labd.url, query, opts);
  const c = await t.closed;
  return { ...c, frames: t.frames.length };
}

test('a terminal is refused without a token, with an unknown token, and from a foreign Origin', { skip }, async () => {
  const none = await refused('', {});
  assert.equal(none.code, CloseCode.Unauthorized);
  const wrong = await refused(`?token=${'A'.repeat(43)}`, {});
  assert.equal(wrong.code, CloseCode.Unauthorized);
  const foreign = await refused(`?token=${fx.ann.token}`, { origin: 'https://evil.example' });
  assert.equal(foreign.code, CloseCode.Forbidden);
  const noOrigin = await refused(`?token=${fx.ann.token}`, { origin: null });
  assert.equal(noOrigin.code, CloseCode.Forbidden);
  const service = await refused(`?token=${fx.labd.serviceToken}`, {});
  assert.equal(service.code, CloseCode.Forbidden);
  for (const r of [none, wrong, foreign, noOrigin, service]) assert.equal(r.frames, 0, 'a refused socket is sent nothing');
});

test("another learner's token cannot reach my terminal", { skip }, async () => {
  const pinned = await refused(`?token=${fx.bob.token}&instance=${fx.annInstance}`, {});
  assert.equal(pinned.code, CloseCode.Forbidden, 'naming my instance with his token is refused');
  const own = await refused(`?token=${fx.bob.token}`, {});
  assert.equal(own.code, CloseCode.NotFound, 'his token leads to his own lab, which is not running');
  const badNode = await refused(`?token=${fx.ann.token}&node=elsewhere`, {});
  assert.equal(badNode.code, CloseCode.NotFound);
});

test('type in the shell, drop the socket, reattach: Replay has the earlier output and it is the same shell', { skip }, async () => {
  const t1 = await Term.open(fx.labd.url, `?token=${fx.ann.token}&instance=${fx.annInstance}`, { origin: 'http://localhost:3000' });
  t1.ws.send(encodeResize(100, 30));
  await t1.waitFor(() => t1.frames.some((f) => f.op === Op.Hello), 'Hello');
  const hello = t1.frames[0]!;
  assert.equal(hello.op, Op.Hello);
  assert.equal((hello as { hello: { reattached: boolean; node: string } }).hello.reattached, false);
  assert.equal((hello as { hello: { node: string } }).hello.node, 'lab');
  t1.type('echo $((6*7)); echo "pid=$$"; stty size\r');
  await t1.waitFor(() => /\D42\r?\n/.test(t1.text()) && /pid=\d+/.test(t1.text()) && /30 100/.test(t1.text()), '42, the pid and the size');
  const pid = /pid=(\d+)/.exec(t1.text())![1];
  await t1.close();

  const t2 = await Term.open(fx.labd.url, '', { token: fx.ann.token });
  await t2.waitFor(() => t2.frames.some((f) => f.op === Op.Replay), 'Replay');
  assert.equal(t2.frames[0]!.op, Op.Hello, 'Hello comes first');
  assert.equal((t2.frames[0] as { hello: { reattached: boolean } }).hello.reattached, true);
  assert.equal(t2.frames[1]!.op, Op.Replay, 'Replay comes before any live output');
  assert.match(t2.text(Op.Replay), /\D42\r?\n/, 'the replay holds the earlier output');
  t2.type('echo "again=$$"\r');
  await t2.waitFor(() => /again=\d+/.test(t2.text()), 'the pid again');
  assert.equal(/again=(\d+)/.exec(t2.text())![1], pid, 'the same shell');

  t2.type('exit 7\r');
  const c = await t2.closed;
  assert.equal(c.code, CloseCode.Exited);
  assert.deepEqual(t2.frames.at(-1), { op: Op.Exit, code: 7 });
  const t3 = await Term.open(fx.labd.url, `?token=${fx.ann.token}`, {});
  await t3.waitFor(() => t3.frames.some((f) => f.op === Op.Hello), 'Hello');
  assert.equal((t3.frames[0] as { hello: { reattached: boolean } }).hello.reattached, false, 'after exit a new shell starts');
  await t3.close();
});

test('a reset ends the old shell and the terminal reaches the new lab', { skip }, async () => {
  const t = await Term.open(fx.labd.url, `?token=${fx.ann.token}`, {});
  await t.waitFor(() => t.frames.some((f) => f.op === Op.Hello), 'Hello');
  const r = await call(fx.labd.url, 'POST', '/v1/lab/reset', fx.ann.token, {});
  assert.equal(r.status, 200);
  assert.equal((await t.closed).code, CloseCode.Exited, "the old instance's shell is gone");
  const events = await call(fx.labd.url, 'GET', '/v1/lab/events', fx.ann.token);
  assert.match(events.text, /"phase":"ready"/);
  const v = await call(fx.labd.url, 'GET', '/v1/lab', fx.ann.token);
  assert.notEqual(v.body.instanceId, fx.annInstance);
  const stale = await refused(`?token=${fx.ann.token}&instance=${fx.annInstance}`, {});
  assert.equal(stale.code, CloseCode.Forbidden, 'a socket pinned to the old instance is refused');
  const t2 = await Term.open(fx.labd.url, `?token=${fx.ann.token}&instance=${v.body.instanceId}`, {});
  t2.type('echo $LAB_INSTANCE\r');
  await t2.waitFor(() => t2.text().includes(v.body.instanceId), 'the new instance id');
  await t2.close();
});

test('flow control over the socket: output stops near HIGH_WATERMARK without acks and resumes with them', { skip }, async () => {
  const t = await Term.open(fx.labd.url, `?token=${fx.ann.token}`, { ack: false });
  await t.waitFor(() => t.frames.some((f) => f.op === Op.Hello), 'Hello');
  t.type('yes 0123456789 | head -c 3000000; echo FLOW""-END\r');
  const settled = async () => {
    let last = -1;
    while (t.text().length !== last) {
      last = t.text().length;
      await new Promise((r) => setTimeout(r, 400));
    }
    return last;
  };
  // First the event (a window's worth arrived), then quiet: a pause of a loaded machine before the
  // window filled must not pass for the flow control stopping the pty.
  await t.waitFor(() => t.text().length >= FlowControl.HIGH_WATERMARK, 'HIGH_WATERMARK of output', 60_000);
  const stalled = await settled();
  assert.ok(stalled >= FlowControl.HIGH_WATERMARK, `at least HIGH_WATERMARK arrived (${stalled})`);
  assert.ok(stalled < 2 * FlowControl.HIGH_WATERMARK, `the pty was paused soon after (${stalled} of 3000000)`);
  t.ws.send(encodeAck(stalled));
  await t.waitFor(() => t.text().length > stalled, 'output to resume after the ack');
  for (let i = 0; i < 200 && !t.text().includes('FLOW-END'); i++) {
    t.ws.send(encodeAck(FlowControl.HIGH_WATERMARK));
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(t.text().includes('FLOW-END'), 'all of it arrives once acked');
  await t.close();
});
