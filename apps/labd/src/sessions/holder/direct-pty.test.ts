// The direct pty (labd reads the holder's pty master itself) under attack, from the session 7 review:
// a crash while the holder is behind, two labds at once, exit or restart while paused, fd leaks.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

process.env.ELAB_STATE_DIR = mkdtempSync(join(tmpdir(), 'elab-direct-'));
const { connectHolder } = await import('./holder-client.ts');
const { DirectPty } = await import('./direct-pty.ts');
const { canTakeFds } = await import('./take-fd.ts');
const { endHolder } = await import('./holders.ts');

const { testHolders } = await import('./test-holders.ts');
const { holder, cleanUp } = testHolders('d');
after(cleanUp);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('what the learner saw is in the replay after a labd crash, even when the holder was behind', async (t) => {
  if (!canTakeFds()) return t.skip('SKIP: the pidfd addon is not built here (npm run build:labd builds it)');
  const h = await holder(['--norc', '--noprofile', '-c', 'sleep 1; seq -f "L%08g" 1 25000; sleep 30']);
  assert.ok(h.pty instanceof DirectPty);
  let seen = '';
  h.pty.onData((d) => (seen += d));
  const rec = h.pty.record;
  process.kill(rec.holderPid, 'SIGSTOP'); // a holder that falls behind (busy, descheduled)
  try {
    let last = -1;
    await sleep(2500);
    while (seen.length !== last) {
      last = seen.length;
      await sleep(500);
    }
    // labd is SIGKILLed now: its unsent writes to the holder die with it.
    (h.pty as unknown as { sock: import('node:net').Socket }).sock.destroy();
    (h.pty as unknown as { master: { destroy(): void } }).master.destroy();
  } finally {
    process.kill(rec.holderPid, 'SIGCONT');
  }
  const lastLine = /L\d{8}/g;
  const lines = seen.match(lastLine) ?? [];
  const lastSeen = lines.at(-1)!;
  await sleep(500);
  const again = await connectHolder(rec);
  const rlines = again.replay.match(lastLine) ?? [];
  console.log(`learner saw ${seen.length} chars up to ${lastSeen}; replay has ${again.replay.length} chars, ${rlines[0]}..${rlines.at(-1)}`);
  // Every line the learner saw is in the replay, in order. (Output labd had read but not yet shown,
  // its mirror still in labd's memory while the holder was stopped, dies with labd: the learner
  // never saw it. That is at most the one read that found the holder behind.)
  const nums = rlines.map((l) => Number(l.slice(1)));
  const upTo = nums.indexOf(Number(lastSeen.slice(1)));
  assert.ok(upTo >= 0, `the replay holds ${lastSeen}, the last line the learner saw`);
  const gap = nums.slice(0, upTo + 1).findIndex((v, i, a) => i > 0 && v !== a[i - 1]! + 1);
  assert.equal(gap, -1, `the replay skips from L${nums[gap - 1]} to L${nums[gap]} among what the learner saw`);
  const lost = (nums[upTo + 1] ?? 0) - Number(lastSeen.slice(1)) - 1;
  assert.ok(lost * 10 <= 65536, `at most one read is lost after the last line seen (${lost} lines)`);
  await endHolder(rec);
});

test('two labd connections at once: the replaced (direct) one reads nothing more of the pty', async (t) => {
  if (!canTakeFds()) return t.skip('SKIP: the pidfd addon is not built here (npm run build:labd builds it)');
  const h = await holder(['--norc', '--noprofile', '-c', 'for i in $(seq 1 400); do echo "N$i"; sleep 0.01; done; sleep 30']);
  assert.ok(h.pty instanceof DirectPty);
  let old = '';
  let oldExit: number | null = null;
  h.pty.onData((d) => (old += d));
  h.pty.onExit((e) => (oldExit = e.exitCode));
  await sleep(1500);
  const newer = await connectHolder(h.pty.record);
  const atSwitch = old.length;
  let now = '';
  newer.pty.onData((d) => (now += d));
  await sleep(6000);
  const stolen = old.slice(atSwitch).match(/N\d+/g) ?? [];
  const nums = (newer.replay + now).match(/N\d+/g)!.map((l) => Number(l.slice(1)));
  const gap = nums.findIndex((v, i) => i > 0 && v !== nums[i - 1]! + 1);
  console.log(`old labd exit=${oldExit}; it read ${stolen.length} lines after the switch: ${stolen.join(' ')}`);
  assert.equal(gap, -1, `the new labd's view skips from N${nums[gap - 1]} to N${nums[gap]}`);
  await endHolder(h.pty.record);
});

test('a shell that exits while the session is paused still delivers its last output before the exit', async (t) => {
  if (!canTakeFds()) return t.skip('SKIP: the pidfd addon is not built here (npm run build:labd builds it)');
  const h = await holder(['--norc', '--noprofile', '-c', 'sleep 1.5; seq -f "P%05g" 1 300; echo "E""ND"; exit 4']);
  assert.ok(h.pty instanceof DirectPty);
  let out = '';
  let exit: number | null = null;
  h.pty.onData((d) => (out += d));
  h.pty.onExit((e) => (exit = e.exitCode));
  h.pty.pause(); // the learner's socket is behind its high watermark
  await sleep(4000);
  h.pty.resume();
  await sleep(2000);
  console.log(`exit=${exit} got ${out.length} chars, tail ${JSON.stringify(out.slice(-30))}`);
  assert.equal(exit, 4);
  assert.match(out, /END/);
});

test('a graceful labd restart while the session is paused loses nothing of the shell output', async (t) => {
  if (!canTakeFds()) return t.skip('SKIP: the pidfd addon is not built here (npm run build:labd builds it)');
  const h = await holder(['--norc', '--noprofile', '-c', 'sleep 1.5; seq -f "P%06g" 1 20000; echo "E""ND"; sleep 30']);
  assert.ok(h.pty instanceof DirectPty);
  let out = '';
  h.pty.onData((d) => (out += d));
  h.pty.pause(); // the learner's socket is behind its high watermark
  await sleep(3500);
  const buffered = (h.pty as unknown as { master: { readableLength: number } }).master.readableLength;
  h.pty.detach(); // labd restarts (SIGTERM): lets go of the holder without ending the shell
  await sleep(1000);
  const again = await connectHolder(h.pty.record);
  let now = again.replay;
  again.pty.onData((d) => (now += d));
  for (let i = 0; i < 100 && !now.includes('END'); i++) await sleep(100);
  // What labd delivered while letting go went to a session already closing (no learner sees it
  // then); the next labd's Replay and output must hold everything.
  void out;
  const nums = now.match(/P\d{6}/g)!.map((l) => Number(l.slice(1)));
  const gap = nums.findIndex((v, i) => i > 0 && v !== nums[i - 1]! + 1);
  console.log(`labd held ${buffered} chars read but unseen when it let go; first ${nums[0]}, last ${nums.at(-1)}`);
  assert.equal(nums[0], 1, `P1..P${nums[0]! - 1} were read by labd while paused and are gone`);
  assert.equal(gap, -1, `the output skips from P${nums[gap - 1]} to P${nums[gap]}`);
  await endHolder(again.pty.record);
});

test('no fd leak in labd or the holder over 20 reconnects (direct)', async () => {
  const { readdirSync } = await import('node:fs');
  const h = await holder(['--norc', '--noprofile', '-i']);
  const rec = h.pty.record;
  h.pty.detach();
  await sleep(300);
  const count = (pid: number | 'self') => readdirSync(`/proc/${pid}/fd`).length;
  const before = [count('self'), count(rec.holderPid)];
  for (let i = 0; i < 20; i++) {
    const a = await connectHolder(rec);
    a.pty.write('echo x\r');
    await sleep(50);
    if (i % 2) a.pty.detach();
    else {
      const b = await connectHolder(rec);
      b.pty.detach();
      a.pty.detach();
    } // two at once
  }
  await sleep(1500);
  const afterN = [count('self'), count(rec.holderPid)];
  console.log(`fds labd/holder before ${before} after ${afterN}`);
  assert.deepEqual(afterN, before);
  await endHolder(rec);
});
