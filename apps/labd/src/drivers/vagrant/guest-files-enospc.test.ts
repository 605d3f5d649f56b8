import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { InstanceState } from '../types.ts';
import { LocalLink } from './ssh-link.ts';
import { VagrantInstance } from './vagrant-instance.ts';
import { httpErrorOf } from '../../http/errors.ts';

// The guest write program (guest-files.ts) against a really full filesystem: a 4 MiB tmpfs as the
// lab workdir, run by LocalLink with this host's bash, as vm and vagrant guests run it.
const isRoot = process.getuid?.() === 0;
const root = mkdtempSync(join(tmpdir(), 'elab-enospc-'));
const workdir = join(root, 'work');
mkdirSync(workdir);
const mounted = isRoot && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'elab-enospc', workdir]).status === 0;
after(() => {
  if (mounted) spawnSync('umount', [workdir]);
  rmSync(root, { recursive: true, force: true });
});
const state: InstanceState = { id: 'abc123', labId: 'hello-ebpf', driver: 'vm', createdAt: '', workdir, nodes: ['lab'], driverState: {} };
const inst = new VagrantInstance(state, { link: new LocalLink(), pidDir: join(root, 'pids') });

test(
  'a full lab disk: saving says so and names the fix; the old contents stay, nothing half-written is left',
  { skip: !mounted && 'needs root to mount a small tmpfs' },
  async () => {
    await inst.writeFile('notes.txt', 'first version\n');
    statSync(join(workdir, 'notes.txt'));
    // The learner fills the disk to the last block.
    const fill = spawnSync('/bin/bash', ['-c', `dd if=/dev/zero of=${workdir}/fill bs=64k 2>&1; true`], { encoding: 'utf8' });
    assert.match(fill.stdout, /No space left on device/, 'the disk is really full');

    const err = await inst.writeFile('notes.txt', 'second version, longer than the first\n'.repeat(1000)).then(
      () => null,
      (e: Error & { kind?: string }) => e,
    );
    assert.ok(err, 'saving onto a full disk fails');
    assert.equal(err.kind, 'no-space', 'the API answers 507 Insufficient Storage');
    assert.equal(httpErrorOf(err).status, 507, 'the API answers 507 Insufficient Storage');
    assert.match(err.message, /the lab's disk is full \(No space left on device\), so "notes\.txt" was not saved/);
    assert.match(err.message, /Delete files you no longer need.*or Reset the lab/, 'the message names the fix');
    assert.equal(readFileSync(join(workdir, 'notes.txt'), 'utf8'), 'first version\n', 'the file keeps what it held');
    assert.deepEqual(readdirSync(workdir).sort(), ['fill', 'notes.txt'], 'no temporary file is left behind');
    const fresh = await inst.writeFile('new.txt', 'x'.repeat(8192)).then(
      () => null,
      (e: Error & { kind?: string }) => e,
    );
    assert.equal(fresh && httpErrorOf(fresh).status, 507, 'a new file on the full disk is refused the same way');

    // After the learner frees space, saving works again and nothing else was lost.
    rmSync(join(workdir, 'fill'));
    await inst.writeFile('notes.txt', 'second version\n');
    assert.equal(readFileSync(join(workdir, 'notes.txt'), 'utf8'), 'second version\n');
  },
);

test('a saved file keeps its mode across the rename that replaces it', { skip: !mounted && 'needs root to mount a small tmpfs' }, async () => {
  writeFileSync(join(workdir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  await inst.writeFile('run.sh', '#!/bin/sh\necho hi\n');
  assert.equal(statSync(join(workdir, 'run.sh')).mode & 0o777, 0o755);
  await inst.writeFile('plain.txt', 'x');
  assert.equal(statSync(join(workdir, 'plain.txt')).mode & 0o777, 0o644);
});
