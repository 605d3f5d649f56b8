import assert from 'node:assert/strict';
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../test-support/labd-harness.ts';
import { loadPidfdAddon, type PidfdAddon } from './pidfd-addon.ts';

const loaded = loadPidfdAddon(join(repoRoot, 'apps/labd/native/pidfd.node'));

test('the addon is built, and a missing one is a reason, never a throw', () => {
  assert.equal(typeof loaded, 'object', `npm run build:labd builds it: ${String(loaded)}`);
  assert.match(String(loadPidfdAddon('/nonexistent/pidfd.node')), /not built.*npm run build:labd/);
});

test('getfd copies any fd of a process (the pty master case); checkStream refuses what is not a stream socket', () => {
  const a = loaded as PidfdAddon;
  const file = openSync('/etc/hostname', 'r');
  const copy = a.getfd(process.pid, file);
  try {
    assert.notEqual(copy, file);
    assert.equal(readlinkSync(`/proc/self/fd/${copy}`), readlinkSync(`/proc/self/fd/${file}`), 'the same open file');
    assert.throws(() => a.checkStream(copy), { code: 'ENOTSOCK' });
  } finally {
    closeSync(copy);
    closeSync(file);
  }
  assert.throws(() => a.pidfdOpen(999_999_999), { code: 'ESRCH' });
  assert.throws(() => a.getfd(process.pid, 987_654), { code: 'EBADF' });
});
