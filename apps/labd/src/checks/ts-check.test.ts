// check.ts runs in a child process: real children, real kills. The lab instance here is the host
// shell in a temp dir (the runner only needs exec/readFile/pids); the netns end-to-end case with
// labd answering HTTP during a looping check is in server/check-process.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { LabInstance } from '../drivers/types.ts';
import { stopWarmChildren } from './child-pool.ts';
import { crashLine, runTsCheck } from './ts-check.ts';

const dir = mkdtempSync(join(tmpdir(), 'elab-ts-check-'));
writeFileSync(join(dir, 'note.txt'), 'from the workdir');
after(() => stopWarmChildren());

const inst = {
  state: { id: 'test01' },
  async exec(cmd: string) {
    const r = spawnSync('bash', ['-c', cmd], { cwd: dir, encoding: 'utf8' });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, ms: 0, timedOut: false };
  },
  async readFile(p: string) {
    return readFileSync(join(dir, p));
  },
  async pids() {
    return new Set([process.pid]);
  },
} as unknown as LabInstance;

function check(name: string, body: string): string {
  const p = join(dir, `${name}.ts`);
  writeFileSync(p, body);
  return p;
}
// A generous ceiling: only the loop-forever case waits for its (short) limit; under CI load a child
// start alone can take seconds, and a verdict must never turn into a timeout because of that.
const run = (checkPath: string, timeoutS = 120) => runTsCheck(inst, { checkPath, labId: 'l', stepId: 's', mode: 'live', timeoutMs: timeoutS * 1000, timeoutS });

test('a check talks to the lab through its context and its verdict comes back', async () => {
  const p = check(
    'ctx',
    `export default async (ctx) => {
    const r = await ctx.exec('echo hi; echo oops >&2');
    const j = await ctx.json('echo \\'{"n":4}\\'');
    const f = await ctx.readFile('note.txt');
    const missing = await ctx.readFile('nope.txt');
    const pids = await ctx.labPids();
    return { status: 'pass', message: [r.stdout.trim(), r.stderr.trim(), j.n, f, missing, pids.size, ctx.stepId, ctx.mode].join('|') };
  };`,
  );
  assert.deepEqual(await run(p), { status: 'pass', message: 'hi|oops|4|from the workdir||1|s|live' });
});

test('a check that never yields is killed at its timeout as an error, and labd keeps running meanwhile', async () => {
  const p = check(
    'loop',
    `import { writeFileSync } from 'node:fs';
    export default async () => { writeFileSync(${JSON.stringify(join(dir, 'loop.pid'))}, String(process.pid)); for (;;) {} };`,
  );
  let ticks = 0;
  const tick = setInterval(() => ticks++, 50);
  const o = await run(p, 2);
  clearInterval(tick);
  assert.equal(o.status, 'error');
  assert.match(o.message, /did not finish within 2s/);
  assert.ok(ticks >= 10, `labd's event loop ran only ${ticks} times in 2 s`);
  const pid = Number(readFileSync(join(dir, 'loop.pid'), 'utf8'));
  // Killed means gone, or a zombie not reaped yet (on a loaded host that can take a moment): wait
  // up to 10 s for either, instead of a fixed 300 ms.
  const running = () => {
    try {
      return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  for (const deadline = Date.now() + 10_000; running() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
  const alive = running();
  // Killed here too when the runner failed to, so a broken runner fails this test instead of hanging it.
  if (alive) process.kill(-pid, 'SIGKILL');
  assert.equal(alive, false, 'the looping check process is gone');
});

test('a check that throws, exits or returns nothing is an error naming why', async () => {
  const thrown = await run(check('throws', `export default async () => { throw new Error('boom here'); };`));
  assert.equal(thrown.status, 'error');
  assert.match(thrown.message, /the check crashed: boom here; this is a problem with the check/);
  const exited = await run(check('exits', `export default async () => { process.exit(3); };`));
  assert.equal(exited.status, 'error');
  assert.match(exited.message, /exited \(code 3\) before giving a verdict/);
  const syntax = await run(check('syntax', `export default async () => { return {{ };`));
  assert.equal(syntax.status, 'error');
  const nothing = await run(check('nothing', `export default async () => {};`));
  assert.match(nothing.message, /returned something that is not \{status, message\}/);
  const noDefault = await run(check('nodefault', `export const x = 1;`));
  assert.match(noDefault.message, /has no default export function/);
});

test('garbage on the protocol channel, a bad verdict or a flood of output is an error, never a pass', async () => {
  const garbage = await run(
    check(
      'garbage',
      `import { writeSync } from 'node:fs';
    export default async () => { writeSync(3, 'pass pass pass\\n'); await new Promise(() => {}); };`,
    ),
  );
  assert.equal(garbage.status, 'error');
  assert.match(garbage.message, /sent something that is not JSON/);
  const shape = await run(check('shape', `export default async () => ({ status: 'passed', message: 'ok' });`));
  assert.equal(shape.status, 'error');
  assert.match(shape.message, /does not fit the protocol \(outcome\.status/);
  // A check that keeps logging (and yields, so its writes leave the process; one that never yields is the timeout case).
  const flood = await run(
    check('flood', `export default async () => { for (;;) { process.stdout.write('x'.repeat(65536)); await new Promise((r) => setImmediate(r)); } };`),
  );
  assert.equal(flood.status, 'error');
  assert.match(flood.message, /printed more than 1024 KiB/);
});

test('a check edited on disk is used by the next run', async () => {
  const p = check('edited', `export default async () => ({ status: 'fail', message: 'first version' });`);
  assert.deepEqual(await run(p), { status: 'fail', message: 'first version' });
  writeFileSync(p, `export default async () => ({ status: 'pass', message: 'second version' });`);
  assert.deepEqual(await run(p), { status: 'pass', message: 'second version' });
});

test("crashLine picks the error out of node's crash output", () => {
  assert.equal(crashLine('file:///x.ts:1\n  throw e\n\nTypeError: x is not a function\n    at y\n\nNode.js v22.1.0\n'), 'TypeError: x is not a function');
  assert.equal(crashLine('only this\n'), 'only this');
});
