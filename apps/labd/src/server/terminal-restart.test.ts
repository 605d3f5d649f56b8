import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { Op } from '@ebpf-lab/protocol';
import { holderAlive, listRecords, procStartTime } from '../sessions/holder/records.ts';
import { downAllLabs, isRoot, labdBin, learner, startLabd, tempDir, Term, upLab, type LabdProcess } from '../test-support/labd-harness.ts';
import { spawnSync } from 'node:child_process';

const skip = !isRoot && 'needs root (real netns labs)';
const labBin = join(labdBin, '../lab.mjs');

async function crash(labd: LabdProcess): Promise<void> {
  labd.proc.kill('SIGKILL');
  await labd.stop();
}

async function until(pred: () => boolean, what: string, ms = 30_000): Promise<void> {
  for (const deadline = Date.now() + ms; !pred();) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Types `echo "<tag>=$$"` and returns the shell's pid. */
async function shellPid(t: Term, tag: string): Promise<string> {
  t.type(`echo "${tag}=$$"\r`);
  const re = new RegExp(`${tag}=(\\d+)`);
  await t.waitFor(() => re.test(t.text()), `${tag}=<pid>`, 20_000);
  return re.exec(t.text())![1]!;
}

test('kill -9 of labd keeps the shell: a new labd reattaches the same $$ with its scrollback, and lab down ends it', { skip }, async () => {
  const stateDir = tempDir();
  let labd = await startLabd({ stateDir });
  try {
    const ann = await learner(labd, 'Ann');
    const instanceId = await upLab(labd, ann.token);
    const t = await Term.open(labd.url, `?token=${ann.token}`, {});
    const pid = await shellPid(t, 'before');
    t.type('echo "MARK""ER-$((6*7))"\r');
    await t.waitFor(() => t.text().includes('MARKER-42'), 'the marker', 20_000);

    await crash(labd);
    assert.ok((await t.closed).code >= 1000, 'the socket closed with labd');
    const [rec] = listRecords(join(stateDir, 'terminals'));
    assert.ok(rec && holderAlive(rec), 'the holder outlived labd');
    // $$ is the shell's pid inside the lab's PID namespace; the record holds the host pid of what the holder started.
    assert.notEqual(procStartTime(rec.shellPid), null, 'the process the holder started is still running');

    labd = await startLabd({ stateDir });
    const t2 = await Term.open(labd.url, `?token=${ann.token}`, {});
    await t2.waitFor(() => t2.frames.some((f) => f.op === Op.Replay), 'the Replay', 20_000);
    assert.equal(t2.frames[0]!.op, Op.Hello);
    assert.equal((t2.frames[0] as { hello: { reattached: boolean } }).hello.reattached, true, 'a reattach, though to a new labd');
    assert.equal((t2.frames[0] as { hello: { sessionId: string } }).hello.sessionId, rec.id, 'the same session');
    assert.match(t2.text(Op.Replay), /MARKER-42/, 'the scrollback came back');
    assert.equal(await shellPid(t2, 'after'), pid, 'the same shell');
    await t2.close();

    await labd.stop(); // a graceful stop also leaves the shell to the holder...
    assert.ok(holderAlive(rec), 'the holder outlived a graceful stop');
    const down = spawnSync(process.execPath, [labBin, 'down', instanceId], {
      env: { ...process.env, ELAB_STATE_DIR: stateDir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(down.status, 0, down.stderr);
    assert.equal(holderAlive(rec), false, '...and lab down ends it');
    assert.equal(procStartTime(rec.shellPid), null, 'and its shell');
    assert.deepEqual(listRecords(join(stateDir, 'terminals')), [], 'no record is left');
  } finally {
    await labd.stop();
    downAllLabs(stateDir);
  }
});

test('a holder whose labd never comes back ends its shell after the orphan grace period', { skip }, async () => {
  const stateDir = tempDir();
  // Long enough that "still there right after the crash" holds on a loaded host (the crash itself
  // waits for labd's exit), short enough to wait out.
  const labd = await startLabd({ stateDir, env: { ELAB_TERMINAL_ORPHAN_MS: '6000' } });
  try {
    const bob = await learner(labd, 'Bob');
    await upLab(labd, bob.token);
    const t = await Term.open(labd.url, `?token=${bob.token}`, {});
    await shellPid(t, 'pid');
    const [rec] = listRecords(join(stateDir, 'terminals'));
    assert.ok(rec && holderAlive(rec));
    await crash(labd);
    assert.ok(holderAlive(rec), 'still there right after the crash');
    await until(() => !holderAlive(rec), 'the holder to exit');
    assert.equal(procStartTime(rec.shellPid), null, 'the shell went with it');
    assert.deepEqual(listRecords(join(stateDir, 'terminals')), [], 'it removed its record');
  } finally {
    await labd.stop();
    downAllLabs(stateDir);
  }
});
