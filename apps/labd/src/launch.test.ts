// The start path of `lab`/labd (apps/labd/bin): the build runs only when its content hash matches
// the sources on disk; otherwise the sources run through tsx and say so, or, with
// ELAB_REQUIRE_BUILD=1, nothing runs. Old code must never run silently.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildLabd } from '../bin/build.mjs';
import { configInputs, hashInputs, staleReason, stampInputs } from '../bin/build-manifest.mjs';
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
    const { inputs } = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8')) as { inputs: string[] };
    for (const p of ['apps/labd/src/cli.ts', 'tsconfig.json', 'apps/labd/package.json', 'packages/protocol/package.json', 'apps/labd/bin/build.mjs'])
      assert.ok(inputs.includes(p), `${p} is an input`);
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});

/** A repository of two modules for buildLabd: src/cli.ts prints what src/a.ts exports. */
function tinyRepo(): { repo: string; dist: string; entryPoints: Record<string, string> } {
  const repo = mkdtempSync(join(tmpdir(), 'elab-buildrace-'));
  mkdirSync(join(repo, 'src'));
  writeFileSync(join(repo, 'src/a.ts'), "export const mark: string = 'OLD';\n");
  writeFileSync(join(repo, 'src/cli.ts'), "import { mark } from './a.ts';\nconsole.log(mark);\n");
  writeFileSync(join(repo, 'tsconfig.json'), '{ "compilerOptions": { "strict": true } }\n');
  return { repo, dist: join(repo, 'dist'), entryPoints: { cli: join(repo, 'src/cli.ts') } };
}
const runBuilt = (dist: string) => spawnSync(process.execPath, [join(dist, 'cli.mjs')], { encoding: 'utf8' }).stdout.trim();

test('a source saved while esbuild runs is not recorded as built: the build runs again', async () => {
  const { repo, dist, entryPoints } = tinyRepo();
  try {
    // The review's race, made certain: the save lands after esbuild read the sources and before
    // the manifest is written (where an editor's autosave lands ~5 times in 6 during a real build).
    await buildLabd({
      repo,
      dist,
      entryPoints,
      afterBundle: (n) => {
        if (n === 1) writeFileSync(join(repo, 'src/a.ts'), "export const mark: string = 'NEW!';\n");
      },
    });
    const ran = runBuilt(dist);
    // Old code must never run silently: either the build has the new code or it is reported stale.
    assert.ok(ran === 'NEW!' || staleReason(dist, repo) !== null, `the build prints ${ran} and says it is current`);
    assert.equal(ran, 'NEW!', 'rebuilt with the saved source');
    assert.equal(staleReason(dist, repo), null);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('sources that keep changing during every build: it gives up with a clear error and leaves dist alone', async () => {
  const { repo, dist, entryPoints } = tinyRepo();
  try {
    await buildLabd({ repo, dist, entryPoints });
    let n = 0;
    const writes = () => {
      n += 1;
      writeFileSync(join(repo, 'src/a.ts'), `export const mark: string = 'v${n}';\n`);
    };
    await assert.rejects(
      buildLabd({ repo, dist, entryPoints, attempts: 2, afterBundle: writes }),
      /kept changing while building \(2 tries; last: src\/a\.ts changed during the build\)/,
    );
    assert.equal(runBuilt(dist), 'OLD', 'the previous build is still there');
    assert.match(staleReason(dist, repo) ?? '', /sources changed/, 'and it says it is stale');
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test("tsconfig, the packages' package.json and the build script are inputs of the build", async () => {
  const { repo, dist, entryPoints } = tinyRepo();
  try {
    await buildLabd({ repo, dist, entryPoints });
    assert.equal(staleReason(dist, repo), null);
    writeFileSync(join(repo, 'tsconfig.json'), '{ "compilerOptions": { "strict": false } }\n');
    assert.match(staleReason(dist, repo) ?? '', /sources changed/);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
  const real = configInputs();
  for (const p of ['tsconfig.json', 'tsconfig.base.json', 'packages/protocol/package.json', 'apps/labd/bin/build.mjs', 'package-lock.json'])
    assert.ok(real.includes(p), `${p} in ${real.join(' ')}`);
});
