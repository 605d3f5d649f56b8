// The start path of `lab`/labd (apps/labd/bin): the build runs only when its content hash matches
// the sources on disk; otherwise the sources run through tsx and say so, or, with
// ELAB_REQUIRE_BUILD=1, nothing runs. Old code must never run silently.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashInputs, staleReason, stampInputs } from '../bin/build-manifest.mjs';
import { labBin, repoRoot } from './test-support/lab-cli.ts';

test('a build is current only while every input has the bytes it was built from', () => {
  const repo = mkdtempSync(join(tmpdir(), 'elab-manifest-'));
  const dist = join(repo, 'dist');
  try {
    assert.match(staleReason(dist, repo) ?? '', /is not built/);
    writeFileSync(join(repo, 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(repo, 'b.ts'), 'export const b = 2;\n');
    spawnSync('mkdir', [dist]);
    writeFileSync(join(dist, 'manifest.json'), JSON.stringify({ hash: hashInputs(['a.ts', 'b.ts'], repo), inputs: ['a.ts', 'b.ts'] }));
    assert.equal(staleReason(dist, repo), null);
    writeFileSync(join(repo, 'b.ts'), 'export const b = 3;\n'); // same size, other bytes
    assert.match(staleReason(dist, repo) ?? '', /sources changed/);
    writeFileSync(join(repo, 'b.ts'), 'export const b = 2;\n');
    assert.equal(staleReason(dist, repo), null, 'back to the built bytes: current again');
    unlinkSync(join(repo, 'a.ts'));
    assert.match(staleReason(dist, repo) ?? '', /gone/);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('the stat stamps are only a shortcut: a rewrite that keeps size and mtime is still caught', () => {
  const repo = mkdtempSync(join(tmpdir(), 'elab-stamps-'));
  const dist = join(repo, 'dist');
  try {
    writeFileSync(join(repo, 'a.ts'), 'export const a = 1;\n');
    spawnSync('mkdir', [dist]);
    const inputs = ['a.ts'];
    writeFileSync(join(dist, 'manifest.json'), JSON.stringify({ hash: hashInputs(inputs, repo), inputs, stamps: stampInputs(inputs, repo) }));
    assert.equal(staleReason(dist, repo), null);
    const { atime, mtime } = statSync(join(repo, 'a.ts'));
    writeFileSync(join(repo, 'a.ts'), 'export const a = 9;\n'); // same size, other bytes,
    utimesSync(join(repo, 'a.ts'), atime, mtime); // and the old mtime put back
    assert.match(staleReason(dist, repo) ?? '', /sources changed/);
    writeFileSync(join(repo, 'a.ts'), 'export const a = 1;\n');
    assert.equal(staleReason(dist, repo), null, 'stamps differ but the bytes are the built ones: the hash says current');
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('without a current build, lab runs the sources and says so; ELAB_REQUIRE_BUILD=1 refuses', () => {
  const empty = mkdtempSync(join(tmpdir(), 'elab-nodist-'));
  try {
    const env = { ...process.env, ELAB_LABD_DIST: empty, ELAB_FROM_SOURCE: '', ELAB_REQUIRE_BUILD: '' };
    const fallback = spawnSync(process.execPath, [labBin, 'help'], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(fallback.status, 0, fallback.stderr);
    assert.match(fallback.stdout, /lab — eBPF Lab command line/);
    assert.match(fallback.stderr, /is not built: running the sources through tsx/);
    const strict = spawnSync(process.execPath, [labBin, 'help'], { env: { ...env, ELAB_REQUIRE_BUILD: '1' }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(strict.status, 1);
    assert.equal(strict.stdout, '', 'nothing ran');
    assert.match(strict.stderr, /ELAB_REQUIRE_BUILD=1.*\n.*run: node apps\/labd\/bin\/build\.mjs/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('a fresh build runs as the CLI with no note and no fallback', () => {
  // Inside the repository like the real dist (labd finds the repo root by walking up from itself).
  const dist = mkdtempSync(join(repoRoot, 'apps/labd/dist.test-'));
  try {
    const env = { ...process.env, ELAB_LABD_DIST: dist, ELAB_REQUIRE_BUILD: '1', ELAB_FROM_SOURCE: '' };
    const built = spawnSync(process.execPath, [join(labBin, '../build.mjs')], { env, encoding: 'utf8', timeout: 300_000 });
    assert.equal(built.status, 0, built.stderr);
    const labs = spawnSync(process.execPath, [labBin, 'labs', '--json'], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(labs.status, 0, labs.stderr);
    assert.ok((JSON.parse(labs.stdout) as { id: string }[]).some((l) => l.id === 'hello-ebpf'));
    assert.equal(labs.stderr, '', 'no note: the build ran');
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});
