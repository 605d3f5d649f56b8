// The write-c lab's verifier exercise depends on the starter as shipped: it must compile, the
// real verifier must reject it, and the rejection must map to the line the lesson names (where
// the editor's "Build & load" puts its marker, through the same parser labd uses).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseVerifierLog } from '../../apps/labd/src/core/diagnostics.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(repo, 'bpf/execcount/execcount.bpf.c');
const skip = process.getuid?.() !== 0 && 'needs root: loads a BPF program';

test('the shipped execcount is rejected at its __sync_fetch_and_add line for map_value_or_null', { skip }, () => {
  execFileSync('make', ['-s', '-C', join(repo, 'bpf'), join(repo, 'bpf/.output/execcount.bpf.o')], { stdio: 'pipe' });
  const pins = mkdtempSync('/sys/fs/bpf/write-c-test-');
  let log: string;
  try {
    const r = spawnSync('bpftool', ['prog', 'loadall', join(repo, 'bpf/.output/execcount.bpf.o'), pins], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, 'the verifier must reject the starter: it is the exercise');
    log = r.stdout + r.stderr;
  } finally {
    rmSync(pins, { recursive: true, force: true });
  }
  const want =
    readFileSync(SRC, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('__sync_fetch_and_add(count, 1);')) + 1;
  assert.ok(want > 0, 'the starter still has the unguarded add');
  const [d, ...more] = parseVerifierLog(log, (f) => `bpf/execcount/${f}`);
  assert.deepEqual(more, []);
  assert.ok(d, log);
  assert.equal(d.file, 'bpf/execcount/execcount.bpf.c');
  assert.equal(d.line, want);
  assert.match(d.message, /invalid mem access 'map_value_or_null'/);
  for (const locale of ['en', 'ko']) {
    const lesson = readFileSync(join(repo, `content/${locale}/write-c.mdx`), 'utf8');
    assert.ok(lesson.includes(`execcount.bpf.c:${want}`), `content/${locale}/write-c.mdx names the line the verifier reports (${want})`);
  }
});
