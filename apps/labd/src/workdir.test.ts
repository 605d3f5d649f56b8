// The file API against a learner who races it: a directory and a symlink out of the workdir
// swapped atomically thousands of times a second while labd reads and writes through them, and
// a FIFO planted where the editor saves. Real files, a real swapping process, no root needed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { STATUS_OF } from './http/errors.ts';
import { FileAccessError, readConfined, writeConfined } from './workdir.ts';

// Swaps `d` (a real directory) and `l` (a symlink to the outside) with renameat2(RENAME_EXCHANGE)
// until killed, the way a learner's shell could while a request is between check and open.
const SWAPPER = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
os.chdir(sys.argv[1])
print("ready", flush=True)
while True:
    libc.renameat2(AT_FDCWD, b"d", AT_FDCWD, b"l", RENAME_EXCHANGE)
`;

const status = async (p: Promise<unknown>): Promise<number | string> => {
  try {
    return String(await p);
  } catch (e) {
    if (e instanceof FileAccessError) return STATUS_OF[e.kind];
    throw e;
  }
};

test('a symlink swapped in mid-request never lets a read or a write leave the workdir', { timeout: 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'elab-race-'));
  const work = join(root, 'work');
  const outside = join(root, 'outside');
  mkdirSync(join(work, 'd'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(work, 'd', 'secret'), 'decoy');
  writeFileSync(join(outside, 'secret'), 'HOST-SECRET');
  spawnSync('ln', ['-s', outside, join(work, 'l')]);
  const swapper = spawn('python3', ['-c', SWAPPER, work], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      swapper.stdout!.once('data', () => resolve());
      swapper.once('exit', (c) => reject(new Error(`the swapper exited ${c}`)));
    });
    const seen = new Map<string, number>();
    const deadline = Date.now() + 4000;
    let rounds = 0;
    while (Date.now() < deadline) {
      rounds++;
      const r = await status(readConfined(work, 'd/secret'));
      seen.set(String(r), (seen.get(String(r)) ?? 0) + 1);
      await status(writeConfined(work, `d/pwned-${rounds % 5}.txt`, 'x'));
    }
    assert.ok(rounds > 200, `the race ran (${rounds} rounds)`);
    assert.ok(!seen.has('HOST-SECRET'), `a read returned the outside file: ${JSON.stringify([...seen])}`);
    assert.ok(seen.has('decoy'), `reads through the real directory still work: ${JSON.stringify([...seen])}`);
    assert.deepEqual(readdirSync(outside), ['secret'], 'no write created a file outside the workdir');
  } finally {
    swapper.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
});

test('a FIFO in the workdir is refused at once, for a save and for a read', { timeout: 20_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'elab-fifo-'));
  try {
    assert.equal(spawnSync('mkfifo', [join(work, 'fifo')]).status, 0);
    const t0 = Date.now();
    // Several at once: before, each save blocked a thread of Node's file pool until a reader came.
    const puts = await Promise.all([1, 2, 3, 4, 5].map(() => status(writeConfined(work, 'fifo', 'x'))));
    assert.deepEqual(puts, [400, 400, 400, 400, 400]);
    assert.equal(await status(readConfined(work, 'fifo')), 400);
    assert.ok(Date.now() - t0 < 10_000, 'refused without waiting for a peer');
    await writeConfined(work, 'ok.txt', 'still works');
    assert.equal((await readConfined(work, 'ok.txt')).toString(), 'still works');
    assert.ok(existsSync(join(work, 'fifo')));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
