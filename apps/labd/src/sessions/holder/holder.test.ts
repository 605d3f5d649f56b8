import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FlowControl } from '@ebpf-lab/protocol';

// Before anything asks config(): the holders' records and sockets go to a private state dir.
process.env.ELAB_STATE_DIR = mkdtempSync(join(tmpdir(), 'elab-holder-'));
const { connectHolder } = await import('./holder-client.ts');
const { DirectPty } = await import('./direct-pty.ts');
const { canTakeFds } = await import('./take-fd.ts');
type HeldShell = import('./holder-client.ts').HeldShell;
const { endHolder, terminalsDir } = await import('./holders.ts');
const records = await import('./records.ts');
const { holderAlive, procStartTime } = records;
const listRecords = () => records.listRecords(terminalsDir());

const { testHolders } = await import('./test-holders.ts');
const { holder, cleanUp } = testHolders('t');
after(cleanUp);

function collect(h: HeldShell) {
  let out = '';
  let exit: number | null = null;
  h.pty.onData((d) => {
    out += d;
  });
  h.pty.onExit((e) => {
    exit = e.exitCode;
  });
  return {
    text: () => out,
    exit: () => exit,
    async until(pred: () => boolean, what: string, ms = 15_000) {
      for (const deadline = Date.now() + ms; !pred();) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(out.slice(-300))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

test('the shell outlives its labd connection: a new connection replays the output, same shell', async () => {
  const h = await holder();
  const c = collect(h);
  h.pty.write('echo "pid=$$ MARK""ER"\r');
  await c.until(() => /pid=\d+ MARKER/.test(c.text()), 'the marker');
  assert.equal(/pid=(\d+)/.exec(c.text())![1], String(h.pty.pid));
  const rec = h.pty.record;
  assert.ok((procStartTime(rec.holderPid) ?? '') !== '' && rec.socket.startsWith(terminalsDir()));
  assert.equal(statSync(rec.socket).mode & 0o777, 0o600, 'only root may talk to the holder');
  assert.equal(statSync(terminalsDir()).mode & 0o777, 0o700);

  h.pty.detach(); // labd goes away
  const again = await connectHolder(rec);
  assert.match(again.replay, /pid=\d+ MARKER/, 'the scrollback is kept by the holder');
  const c2 = collect(again);
  again.pty.write('echo "again=$$"\r');
  await c2.until(() => /again=\d+/.test(c2.text()), 'the pid again');
  assert.equal(/again=(\d+)/.exec(c2.text())![1], String(h.pty.pid));

  again.pty.write('exit 3\r');
  await c2.until(() => c2.exit() !== null, 'the exit');
  assert.equal(c2.exit(), 3);
  for (const deadline = Date.now() + 5000; holderAlive(rec) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  assert.equal(holderAlive(rec), false, 'a holder whose shell exited goes away');
  assert.ok(!listRecords().some((r) => r.id === rec.id), 'and removes its record');
});

test('one labd at a time: a newer connection replaces the older one', async () => {
  const h = await holder();
  const closed = new Promise<void>((r) => h.pty.onExit(() => r()));
  const newer = await connectHolder(h.pty.record);
  await closed; // the old connection was dropped (seen as a hang-up by its side)
  const c = collect(newer);
  newer.pty.write('echo "still""here"\r');
  await c.until(() => c.text().includes('stillhere'), 'output on the newer connection');
  await endHolder(newer.pty.record);
  assert.equal(holderAlive(newer.pty.record), false);
  assert.equal(procStartTime(newer.pty.record.shellPid), null, 'SIGTERM to the holder ends the shell too');
});

/**
 * Pause must hold the shell back and Resume let the rest through, in both modes: direct (labd
 * pauses its own reads of the pty) and relay (the holder pauses its reads when labd asks).
 */
async function pauseAndResume(mode: 'direct' | 'relay') {
  // The shell marks when it starts writing, so the quiet below is measured while output is being
  // pushed (on a loaded host bash may start late: a quiet before that would prove nothing).
  const started = join(mkdtempSync(join(tmpdir(), 'elab-pause-')), 'started');
  let h = await holder(['--norc', '--noprofile', '-c', `sleep 1; : > ${started}; yes 0123456789 | head -c 3000000; echo; echo FLOW""-END; sleep 30`]);
  if (mode === 'relay') {
    h.pty.detach();
    h = await connectHolder(h.pty.record, { relay: true });
    assert.ok(!(h.pty instanceof DirectPty));
  }
  const c = collect(h);
  h.pty.pause();
  for (const deadline = Date.now() + 60_000; !existsSync(started);) {
    assert.ok(Date.now() < deadline, 'the shell started writing within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 1500));
  let last = -1;
  while (c.text().length !== last) {
    last = c.text().length;
    await new Promise((r) => setTimeout(r, 400));
  }
  assert.ok(last < FlowControl.HIGH_WATERMARK, `paused output stays small (${last} of 3000000)`);
  h.pty.resume();
  await c.until(() => c.text().includes('FLOW-END'), 'all output after Resume', 60_000);
  await endHolder(h.pty.record);
  rmSync(join(started, '..'), { recursive: true, force: true });
}

test("Pause stops the shell's output (direct: labd's own reads) and Resume lets the rest through", async (t) => {
  if (!canTakeFds()) return t.skip('SKIP: the pidfd addon is not built here (npm run build:labd builds it)');
  await pauseAndResume('direct');
});

test("Pause stops the shell's output at the holder (relay) and Resume lets the rest through", async () => {
  await pauseAndResume('relay');
});

test('a peer sending garbage is dropped before it replaces labd; the holder and its shell stay', async () => {
  const h = await holder();
  const c = collect(h);
  const bad = connect(h.pty.record.socket);
  bad.on('error', () => {});
  bad.resume();
  bad.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1]));
  await new Promise<void>((r) => bad.on('close', () => r()));
  assert.ok(holderAlive(h.pty.record), 'the holder survived the bad frame');
  h.pty.write('echo o""k\r');
  await c.until(() => c.text().includes('ok'), 'the same connection still working');
  assert.equal(c.exit(), null, 'labd was not replaced by a peer that never said Hello');
  await endHolder(h.pty.record);
});

test('direct: labd reads the pty itself, so keystrokes echo while the holder is stopped', async (t) => {
  if (!canTakeFds()) return t.skip('SKIP: the pidfd addon is not built here (npm run build:labd builds it)');
  const h = await holder();
  assert.ok(h.pty instanceof DirectPty, 'labd copied the master and the holder agreed to direct mode');
  const c = collect(h);
  process.kill(h.pty.record.holderPid, 'SIGSTOP');
  try {
    h.pty.write('echo "dir""ect=$$"\r');
    await c.until(() => /direct=\d+/.test(c.text()), 'the echo with the holder stopped');
  } finally {
    process.kill(h.pty.record.holderPid, 'SIGCONT');
  }
  // What labd read reaches the holder's scrollback (mirrored), and output made while no labd is
  // connected is read by the holder again, so a later labd gets both.
  h.pty.write('sleep 1; echo "la""te"\r');
  await new Promise((r) => setTimeout(r, 200));
  h.pty.detach();
  await new Promise((r) => setTimeout(r, 1500));
  const again = await connectHolder(h.pty.record);
  assert.match(again.replay, /direct=\d+/, 'mirrored output is in the scrollback');
  assert.match(again.replay, /\rlate\r\n/, 'the holder read the output made while no labd was there');
  const c2 = collect(again);
  again.pty.write('echo "b""ye"; exit 7\r');
  await c2.until(() => c2.exit() !== null, 'the exit');
  assert.equal(c2.exit(), 7);
  assert.match(c2.text(), /\rbye\r\n/, "the shell's last output comes before its exit");
});

test('only a pty master is copied: a record naming another fd gets the relay', async (t) => {
  if (!canTakeFds()) return t.skip('SKIP: the pidfd addon is not built here (npm run build:labd builds it)');
  const h = await holder();
  h.pty.detach();
  // fd 2 of the holder is its log file: getpty must refuse it (TIOCGPTN), and labd falls back.
  const again = await connectHolder({ ...h.pty.record, masterFd: 2 });
  assert.ok(!(again.pty instanceof DirectPty), 'a file is never read as the pty');
  const c = collect(again);
  again.pty.write('echo "fall""back"; exit 5\r');
  await c.until(() => c.exit() !== null, 'the exit');
  assert.equal(c.exit(), 5);
  assert.match(c.text(), /\rfallback\r\n/);
});

test('relay: without the pty master, the holder relays (a labd that cannot copy it)', async () => {
  const h = await holder();
  h.pty.detach();
  const again = await connectHolder(h.pty.record, { relay: true });
  assert.ok(!(again.pty instanceof DirectPty));
  const c = collect(again);
  again.pty.write('echo "re""lay"; exit 4\r');
  await c.until(() => c.exit() !== null, 'the exit');
  assert.equal(c.exit(), 4);
  assert.match(c.text(), /\rrelay\r\n/);
});

test('a shell that ends before labd connects still hands over its output and exit code', async () => {
  const h = await holder(['--norc', '--noprofile', '-c', 'echo "lab: this lab is g""one"; exit 125']);
  const c = collect(h);
  await c.until(() => c.exit() !== null, 'the exit');
  assert.equal(c.exit(), 125);
  assert.match(h.replay + c.text(), /this lab is gone/, 'what the shell printed reaches labd');
  for (const deadline = Date.now() + 5000; holderAlive(h.pty.record) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  assert.equal(holderAlive(h.pty.record), false, 'and then the holder goes');
});

test('a (re)starting labd ends holders whose lab is gone and keeps none of their records', async () => {
  const { restoreSessions } = await import('./restore.ts');
  const { SessionRegistry } = await import('../registry.ts');
  const h = await holder(); // instance "i" has no state file here: its lab is gone
  h.pty.detach(); // the labd that started it has gone away
  const registry = new SessionRegistry();
  const r = await restoreSessions(registry);
  assert.deepEqual(r, { reattached: [], ended: [h.pty.record.id] });
  assert.equal(holderAlive(h.pty.record), false);
  assert.equal(procStartTime(h.pty.record.shellPid), null, 'its shell too');
  assert.equal(registry.list().length, 0);
  assert.ok(!listRecords().some((x) => x.id === h.pty.record.id));
});
