import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { interpretShellCheck } from './checks/run-check.ts';
import { parseArgs } from './cli-args.ts';
import { findFlaky } from './selftest.ts';
import { STATUS_OF } from './http/errors.ts';
import { confine, FileAccessError, readConfined, writeConfined } from './workdir.ts';

test("check.sh exit codes: 0 pass, 1 fail, anything else or a timeout is error — never the learner's fault", () => {
  assert.equal(interpretShellCheck(0, 'all good\n', '', false, 5).status, 'pass');
  const f = interpretShellCheck(1, 'noise\n{"message":"chain missing","expected":"3","actual":"0"}\n', '', false, 5);
  assert.deepEqual([f.status, f.message, f.expected, f.actual], ['fail', 'chain missing', '3', '0']);
  const e = interpretShellCheck(127, '', 'bpftool: command not found', false, 5);
  assert.equal(e.status, 'error');
  assert.match(e.message, /not your fault/);
  assert.match(e.message, /bpftool: command not found/);
  const t = interpretShellCheck(1, 'would have failed', '', true, 5);
  assert.equal(t.status, 'error', 'a timed-out check is an error even if its exit code says fail');
  assert.match(t.message, /within 5s/);
});

test('argv parsing keeps everything after -- verbatim and knows which flags take values', () => {
  const a = parseArgs(['abc123', '--node', 'k8s-w1', '--json', '--', 'ls', '--all'], ['node']);
  assert.deepEqual(a.positional, ['abc123']);
  assert.equal(a.flags.get('node'), 'k8s-w1');
  assert.equal(a.flags.get('json'), true);
  assert.deepEqual(a.rest, ['ls', '--all']);
  assert.throws(() => parseArgs(['--repeat'], ['repeat']), /--repeat needs a value/);
});

test('a check whose status differs between repetitions is flaky', () => {
  const run = (s: 'pass' | 'fail') => ({ lab: 'l', before: [], after: [{ lab: 'l', step: 'a', status: s, message: '', ms: 1 }], variants: [] });
  assert.deepEqual(findFlaky([run('pass'), run('pass')]), []);
  assert.deepEqual(findFlaky([run('pass'), run('fail')]), ['l/a (solved)']);
});

test('the file API is confined to the workdir: .., absolute paths and symlinks out are refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'elab-confine-'));
  const work = join(root, 'work');
  mkdirSync(join(work, 'bpf'), { recursive: true });
  writeFileSync(join(root, 'secret'), 'outside');
  writeFileSync(join(work, 'bpf', 'ok.c'), 'inside');
  symlinkSync(join(root, 'secret'), join(work, 'link-out'));
  symlinkSync(root, join(work, 'dir-out'));
  const status = async (p: Promise<unknown>) => {
    try {
      await p;
      return 200;
    } catch (e) {
      assert.ok(e instanceof FileAccessError, String(e));
      return STATUS_OF[e.kind];
    }
  };
  assert.equal((await readConfined(work, 'bpf/ok.c')).toString(), 'inside');
  assert.equal(await status(readConfined(work, '../../etc/passwd')), 403);
  assert.equal(await status(readConfined(work, '/etc/passwd')), 400);
  assert.equal(await status(readConfined(work, 'link-out')), 403);
  assert.equal(await status(readConfined(work, 'dir-out/secret')), 403);
  assert.equal(await status(writeConfined(work, 'dir-out/new-file', 'x')), 403);
  assert.equal(await status(writeConfined(work, 'link-out', 'x')), 403);
  assert.equal(await status(writeConfined(work, 'big.bin', Buffer.alloc(1024 * 1024 + 1))), 413);
  assert.equal(await status(readConfined(work, 'missing.c')), 404);
  await writeConfined(work, 'new/dir/file.c', 'made');
  assert.equal((await readConfined(work, 'new/dir/file.c')).toString(), 'made');
  assert.throws(() => confine(work, 'a\0b'), /NUL/);
});
