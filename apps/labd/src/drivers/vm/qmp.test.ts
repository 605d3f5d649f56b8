import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { which } from '../../host-caps.ts';
import { hostDiskProblem } from './host-disk.ts';
import { qmp } from './qmp.ts';
import { QEMU } from './qemu.ts';

// The QMP client against a real QEMU with no guest at all (-machine none: no CPU to emulate, so
// it is cheap enough for the unit stage). The full-disk pause itself: vm-host-disk-full.test.ts.
const dir = mkdtempSync(join(tmpdir(), 'elab-qmp-'));
const sock = join(dir, 'qmp.sock');
const skip = which(QEMU) ? false : `${QEMU} is not installed`;
let pid = 0;
after(() => {
  if (pid)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  rmSync(dir, { recursive: true, force: true });
});

test('qmp: commands in turn on one short connection; QEMU errors and a missing socket are named', { skip }, async () => {
  // Not named el<id>: no reap takes it for a lab's QEMU.
  const r = spawnSync(
    QEMU,
    [
      '-name',
      'elab-qmp-test',
      '-machine',
      'none',
      '-nodefaults',
      '-display',
      'none',
      '-qmp',
      `unix:${sock},server=on,wait=off`,
      '-pidfile',
      join(dir, 'pid'),
      '-daemonize',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
  const [before, stopped, paused] = (await qmp(sock, [{ execute: 'query-status' }, { execute: 'stop' }, { execute: 'query-status' }])) as { status: string }[];
  assert.equal(before!.status, 'running');
  assert.deepEqual(stopped, {});
  assert.equal(paused!.status, 'paused');
  // One client at a time: a second connection waits its turn instead of failing.
  const both = await Promise.all([qmp(sock, [{ execute: 'cont' }]), qmp(sock, [{ execute: 'query-status' }])]);
  assert.equal(both.length, 2);
  assert.equal(((await qmp(sock, [{ execute: 'query-status' }]))[0] as { status: string }).status, 'running');
  await assert.rejects(qmp(sock, [{ execute: 'no-such-command' }]), /QMP no-such-command: The command no-such-command has not been found/);
  await assert.rejects(qmp(join(dir, 'nope.sock'), [{ execute: 'query-status' }]), /QEMU's monitor .*nope\.sock: connect ENOENT/);
  // Paused by an operator, not by a full disk: not the learner's problem to fix.
  await qmp(sock, [{ execute: 'stop' }]);
  assert.equal(await hostDiskProblem('x', { hostDir: dir, qmpSocket: sock }), null);
  assert.equal(((await qmp(sock, [{ execute: 'query-status' }]))[0] as { status: string }).status, 'paused', 'and it is not resumed either');
});
