import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadLab } from '@ebpf-lab/lab-spec';
import { lab as labCli } from '../../test-support/lab-cli.ts';
import { FileAccessError } from '../../workdir.ts';
import { labQemus } from './qemu.ts';
import { VmDriver } from './vm-driver.ts';
import { vds } from './vm-instance.ts';
import { vmTestSkip } from '../../test-support/vm-skip.ts';

// A full disk, both ways, with real guests (vm stage: ELAB_VM_INTEGRATION=1). The host's: the
// state dir is a 48 MiB tmpfs, so no guest may start there. The guest's: the learner fills the
// guest's 8 GiB disk; saving a file then says so and keeps the old one, the lab recovers when the
// learner deletes, and it goes away completely.
const stateDir = mkdtempSync(join(tmpdir(), 'elab-vm-full-'));
process.env.ELAB_STATE_DIR = stateDir;
after(() => rmSync(stateDir, { recursive: true, force: true }));
const labDir = join(fileURLToPath(import.meta.url), '../../../../../../labs/hello-ebpf');
const driver = new VmDriver();
const pre = await driver.preflight();
const skip = vmTestSkip('vm disk-full tests', pre, { needsRoot: true });
const T = { timeout: 15 * 60_000, skip };

test('a host state dir with no room: lab up refuses before starting anything, names the dir and the fix, loses nothing', T, () => {
  const small = mkdtempSync(join(tmpdir(), 'elab-vm-small-'));
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'elab-vm-small', small]).status, 0, 'mount a 48 MiB tmpfs');
  try {
    // Something of another lab that must survive the refusal.
    mkdirSync(join(small, 'keep'));
    writeFileSync(join(small, 'keep/notes.txt'), 'mine');
    const before = new Set(labQemus().keys());
    const r = labCli(['up', '--driver', 'vm', 'hello-ebpf'], { env: { ...process.env, ELAB_STATE_DIR: small }, timeoutMs: 5 * 60_000 });
    assert.notEqual(r.code, 0, 'lab up fails');
    assert.match(
      r.stderr,
      new RegExp(`not enough disk space for a vm lab: ${small}/instances/[a-z0-9]{6} has \\d+ MiB free, a guest needs at least 1024 MiB`),
      r.stderr,
    );
    assert.match(r.stderr, /ELAB_STATE_DIR .*larger disk/, 'the fix is named');
    assert.deepEqual(
      [...labQemus().keys()].filter((n) => !before.has(n)),
      [],
      'no QEMU was started',
    );
    assert.deepEqual(
      existsSync(join(small, 'instances')) ? readdirSync(join(small, 'instances')).filter((n) => /^[a-z0-9]{6}$/.test(n)) : [],
      [],
      'no instance is left',
    );
    assert.equal(spawnSync('cat', [join(small, 'keep/notes.txt')], { encoding: 'utf8' }).stdout, 'mine', 'what was there is intact');
  } finally {
    spawnSync('umount', [small]);
    rmSync(small, { recursive: true, force: true });
  }
});

test('the learner fills the guest disk: saving says the disk is full and keeps the file; deleting recovers; down leaves nothing', T, async () => {
  const inst = await driver.up(loadLab(labDir));
  const d = vds(inst.state);
  try {
    await inst.writeFile('notes.txt', 'first version\n');
    // fallocate takes the space without writing it (fast under TCG); dd then hits the real ENOSPC.
    const fill = await inst.exec(
      'fallocate -l $(( $(df --output=avail -B1 / | tail -1) - 65536 )) /srv/lab/fill && dd if=/dev/zero of=/srv/lab/fill2 bs=64k 2>&1; df -h / | tail -1',
      { timeoutMs: 5 * 60_000 },
    );
    assert.match(fill.stdout, /No space left on device/, `the guest disk is full: ${fill.stdout}`);

    const err = await inst.writeFile('notes.txt', 'x'.repeat(256 * 1024)).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof FileAccessError, `saving fails with a file error: ${String(err)}`);
    assert.equal(err.kind, 'no-space', 'answered as 507 Insufficient Storage (http/errors.ts)');
    assert.match(err.message, /the lab's disk is full .*"notes\.txt" was not saved; what it held before is kept\..*Reset the lab/s);
    assert.equal((await inst.exec('cat notes.txt')).stdout, 'first version\n', 'the file keeps its contents');
    assert.equal((await inst.exec('echo still-here')).stdout, 'still-here\n', 'the lab still runs commands');

    await inst.exec('rm -f /srv/lab/fill /srv/lab/fill2');
    await inst.writeFile('notes.txt', 'second version\n');
    assert.equal(
      (await inst.exec('cat notes.txt; ls -A /srv/lab | grep -c "^[.]lab-write" || true')).stdout,
      'second version\n0\n',
      'saved, no temp files left',
    );
  } finally {
    await inst.down();
  }
  assert.equal(labQemus().get(d.name), undefined, 'its QEMU is gone');
  assert.equal(existsSync(d.hostDir), false, 'its overlay and files are gone');
});
