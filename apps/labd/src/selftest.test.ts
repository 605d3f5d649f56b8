import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { SelftestReport } from './selftest.ts';
import { isRoot, lab, tempStateDir } from './test-support/lab-cli.ts';

// A two-step lab on real namespaces whose checks read files, so each verdict is predictable:
// step "one" wants answer.txt = 42, step "two" wants two.txt = 2 AND step one still done.
const sayFail = (msg: string, expected: string, actual: string) =>
  `echo "{\\"message\\":\\"${msg}\\",\\"expected\\":\\"${expected}\\",\\"actual\\":\\"${actual}\\"}"; exit 1`;
function makeLab(files: Record<string, string>): string {
  const labs = mkdtempSync(join(tmpdir(), 'elab-selftest-'));
  const all: Record<string, string> = {
    'lab.yaml':
      'id: st\ntitle: Selftest fixture\ndrivers: [netns]\nsteps:\n  - {id: one, title: One, timeoutSeconds: 5}\n  - {id: two, title: Two, timeoutSeconds: 5}\n',
    'steps/one/check.sh': `v=$(cat answer.txt 2>/dev/null) || { ${sayFail('no answer.txt yet: write 42 into it', '42', 'no file')}; }\n[ "$v" = 42 ] && { echo ok; exit 0; }\n${sayFail('answer.txt says $v: write 42', '42', '$v')}\n`,
    'steps/one/solve.sh': 'echo 42 > answer.txt\n',
    'steps/one/wrong/off-by-one.sh': '# off by one\necho 41 > answer.txt\n',
    'steps/one/alt/printf.sh': '# printf instead of echo\nprintf 42 > answer.txt\n',
    'steps/two/check.sh': `[ "$(cat answer.txt 2>/dev/null)" = 42 ] || { ${sayFail('step one is undone', '42', 'other')}; }\nv=$(cat two.txt 2>/dev/null) || { ${sayFail('no two.txt yet', '2', 'no file')}; }\n[ "$v" = 2 ] && { echo ok; exit 0; }\n${sayFail('two.txt says $v', '2', '$v')}\n`,
    'steps/two/solve.sh': 'echo 2 > two.txt\n',
    'steps/two/wrong/three.sh': '# three instead of two\necho 3 > two.txt\n',
    ...files,
  };
  for (const [p, text] of Object.entries(all)) {
    mkdirSync(dirname(join(labs, 'st', p)), { recursive: true });
    writeFileSync(join(labs, 'st', p), text);
  }
  return labs;
}
const run = (labs: string, args: string[] = []) =>
  lab(['selftest', 'st', ...args], { env: { ...process.env, ELAB_STATE_DIR: tempStateDir(), ELAB_LABS_DIR: labs } });

test('selftest: wrong solutions caught and alternatives accepted, each on a lab with earlier steps solved', { skip: !isRoot && 'needs root' }, () => {
  const r = run(makeLab({}), ['--repeat', '2', '--jobs', '2', '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const rep = JSON.parse(r.stdout) as SelftestReport;
  assert.equal(rep.runs.length, 2);
  const two = rep.runs[0]!.variants.find((v) => v.name === 'three')!;
  // "two.txt says 3" (not "step one is undone") proves step one's solve.sh ran first.
  assert.equal(two.message, 'two.txt says 3');
  assert.deepEqual(
    rep.table.map((t) => [t.step, `${t.wrong.caught}/${t.wrong.total}`, `${t.alt.passed}/${t.alt.total}`]),
    [
      ['one', '1/1', '1/1'],
      ['two', '1/1', '0/0'],
    ],
  );
  assert.deepEqual(rep.flaky, []);
});

test('selftest: a missed wrong solution, a rejected alternative and a generic fail exit non-zero and are named', { skip: !isRoot && 'needs root' }, () => {
  const labs = makeLab({
    'steps/one/wrong/sneaky.sh': '# writes the right answer, so the check cannot catch it\necho 42 > answer.txt\n',
    'steps/one/wrong/nothing.sh': '# does nothing at all\ntrue\n',
    'steps/one/alt/leading-zero.sh': '# 042 is also forty-two, but this check compares text\necho 042 > answer.txt\n',
    'steps/two/wrong/crashes.sh': '# a script that breaks half-way models nothing\necho 3 > two.txt; exit 4\n',
  });
  const r = run(labs);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /one wrong\/sneaky → pass .*\n\s+- missed: the check passed a wrong solution/);
  assert.match(r.stdout, /one wrong\/nothing → fail .*\n\s+- generic: the same verdict as on a fresh lab/);
  assert.match(r.stdout, /one alt\/leading-zero → fail .*\n\s+- a correct alternative was rejected: answer.txt says 042/);
  assert.match(r.stdout, /two wrong\/crashes → setup .*\n\s+- could not run: wrong\/crashes\.sh exited 4/);
  assert.match(r.stdout, /\nst\s+one\s+fail\s+pass\s+1\/3\s+1\/2\s+wrong\/nothing wrong\/sneaky alt\/leading-zero\n/);
  assert.match(r.stdout, /selftest: 0 runs passed, 1 failed, 0 flaky/);
  // --step limits the variants to one step; --reference-only drops them.
  const only = JSON.parse(run(labs, ['--step', 'two', '--json']).stdout) as SelftestReport;
  assert.deepEqual([...new Set(only.runs[0]!.variants.map((v) => v.step))], ['two']);
  const ref = run(labs, ['--reference-only']);
  assert.equal(ref.code, 0, ref.stdout);
  assert.equal(run(labs, ['--step', 'nope']).code, 2);
});
