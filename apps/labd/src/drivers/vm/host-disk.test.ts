import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freeMiB, hostDiskProblem, RESUME_FREE_MIB } from './host-disk.ts';
import { qmp } from './qmp.ts';

// The free-space figure on a real ext4 with blocks reserved for root (review5 #3): QEMU runs as
// labd's user, root here, and writes into the reserve, so it pauses only when bfree is 0. Freeing
// 80 MiB then must read as 80 MiB free (and resume the guest), not as 0 until the reserve is free
// too. The image is a loop-mounted file of 256 MiB with 40% reserved; ~1 s.
const dir = mkdtempSync(join(tmpdir(), 'elab-hostdisk-'));
const img = join(dir, 'disk.img');
const mnt = join(dir, 'mnt');
let mounted = false;
after(() => {
  if (mounted) spawnSync('umount', [mnt]);
  rmSync(dir, { recursive: true, force: true });
});
const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
const skip = process.getuid?.() !== 0 ? 'needs root (mount)' : sh('mkfs.ext4', ['-V']).status !== 0 ? 'mkfs.ext4 is not installed' : false;

/** A monitor that says what QEMU says of a guest paused on a full disk, and records what it was asked. */
function pausedMonitor(path: string, asked: string[], reply?: string): Promise<() => void> {
  const srv = createServer((c) => {
    c.on('error', () => {});
    c.write('{"QMP": {"version": {}, "capabilities": []}}\n');
    let buf = '';
    c.on('data', (d) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const cmd = (JSON.parse(buf.slice(0, i)) as { execute: string }).execute;
        buf = buf.slice(i + 1);
        asked.push(cmd);
        if (reply && cmd !== 'qmp_capabilities') {
          c.write(reply);
          continue;
        }
        const ret = cmd === 'query-status' ? { status: 'io-error' } : cmd === 'query-block' ? [{ device: 'vda', 'io-status': 'nospace' }] : {};
        c.write(`${JSON.stringify({ return: ret })}\n`);
      }
    });
  });
  return new Promise((res) => srv.listen(path, () => res(() => srv.close())));
}

test('a guest paused on a full ext4 resumes once root can write again, and the message counts what root can write', { skip }, async (t) => {
  assert.equal(sh('truncate', ['-s', '256M', img]).status, 0);
  const mk = sh('mkfs.ext4', ['-q', '-m', '40', img]);
  assert.equal(mk.status, 0, mk.stderr);
  mkdirSync(mnt);
  const m = sh('mount', ['-o', 'loop', img, mnt]);
  if (m.status !== 0) {
    t.skip(`cannot loop-mount here: ${m.stderr}`);
    return;
  }
  mounted = true;
  sh('dd', ['if=/dev/zero', `of=${join(mnt, 'a')}`, 'bs=1M', 'count=80']);
  sh('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=1M']); // until ENOSPC, into the reserve as QEMU would
  sh('sync', []);
  assert.ok(freeMiB(mnt) < RESUME_FREE_MIB, `full: ${freeMiB(mnt)} MiB`);
  rmSync(join(mnt, 'a'));
  sh('sync', []);
  const s = statfsSync(mnt);
  const rootFree = Math.floor((Number(s.bfree) * Number(s.bsize)) / 2 ** 20);
  assert.ok(
    Number(s.bavail) === 0 && rootFree >= RESUME_FREE_MIB,
    `the reserve hides the room from unprivileged writers (bavail ${s.bavail}, root ${rootFree} MiB)`,
  );
  assert.equal(freeMiB(mnt), rootFree, 'QEMU (root) can write the reserve: that is its free space');
  assert.equal(freeMiB(mnt, 1000), 0, 'an unprivileged QEMU could not');

  const sock = join(dir, 'qmp.sock');
  const asked: string[] = [];
  const close = await pausedMonitor(sock, asked);
  try {
    const msg = await hostDiskProblem('x', { hostDir: mnt, qmpSocket: sock }, { resume: false });
    assert.match(msg ?? '', new RegExp(`has ${rootFree} MiB free`), msg ?? 'no message');
    assert.deepEqual(
      asked.filter((c) => c === 'cont'),
      [],
      'resume: false does not resume',
    );
    assert.equal(await hostDiskProblem('x', { hostDir: mnt, qmpSocket: sock }), null, 'room is back: no problem');
    assert.ok(asked.includes('cont'), `the guest is resumed (asked: ${asked.join(', ')})`);
  } finally {
    close();
  }
});

test('qmp: a monitor line that is JSON but not a message is an error, not a throw in the socket handler', async () => {
  const sock = join(dir, 'null.sock');
  const close = await pausedMonitor(sock, [], 'null\n');
  try {
    await assert.rejects(qmp(sock, [{ execute: 'query-status' }], 5000), /sent null, not a QMP message/);
  } finally {
    close();
  }
});
