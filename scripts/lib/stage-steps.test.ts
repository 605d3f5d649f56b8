// The stage scripts' step runner (scripts/lib/stage-steps.sh) for real in bash: a failing step does
// not stop the next, the summary names each step with its verdict and the stage's, and the exit
// code says whether any failed; stop_if_failed ends the stage early with that same summary.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const lib = dirname(fileURLToPath(import.meta.url));
const stage = (body: string) =>
  spawnSync('bash', ['-c', `set -uo pipefail; source ${join(lib, 'common.sh')}; source ${join(lib, 'stage-steps.sh')} demo\n${body}`], { encoding: 'utf8' });

test('every step runs and is timed; one failure fails the stage and is named', () => {
  const r = stage('step first true\nstep second false\nstep third echo ran-third\nfinish\necho not-reached');
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /ran-third/, 'a failed step does not stop the next');
  assert.match(r.stdout, /demo: summary/);
  assert.match(r.stdout, /^ {2}first: ok \(\d+ s\)$/m);
  assert.match(r.stdout, /^ {2}second: FAILED \(\d+ s\)$/m);
  assert.match(r.stdout, /demo stage FAILED: second$/m);
  assert.doesNotMatch(r.stdout, /not-reached/);
});

test('all steps ok: the stage is ok and exits 0; stop_if_failed lets it go on', () => {
  const r = stage('step only true\nstop_if_failed\nstep after true\nfinish');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ {2}after: ok/m);
  assert.match(r.stdout, /^demo stage ok$/m);
});

test('stop_if_failed ends the stage after a failed step the later ones need', () => {
  const r = stage('step image false\nstop_if_failed\nstep tests echo ran-tests\nfinish');
  assert.equal(r.status, 1);
  assert.doesNotMatch(r.stdout, /ran-tests/);
  assert.match(r.stdout, /demo stage FAILED: image$/m);
});

test('sourcing without a stage name is refused with the usage', () => {
  const r = spawnSync('bash', ['-c', `source ${join(lib, 'stage-steps.sh')}`], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /usage: source scripts\/lib\/stage-steps.sh STAGE-NAME/);
});

test('private_state_dir: a state dir of its own while the stage runs; on exit its labs are reaped and it is gone', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'elab-stage-steps-'));
  try {
    // `lab` is replaced after sourcing, so the trap's reap is recorded instead of run.
    const r = spawnSync(
      'bash',
      [
        '-c',
        `set -uo pipefail; source ${join(lib, 'common.sh')}; source ${join(lib, 'stage-steps.sh')} demo
      lab() { echo "lab $* in $ELAB_STATE_DIR" >> ${tmp}/calls; }
      private_state_dir vm
      echo "dir=$ELAB_STATE_DIR"; test -d "$ELAB_STATE_DIR" && echo exists
      bash -c 'echo "child sees $ELAB_STATE_DIR"'`,
      ],
      { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } },
    );
    assert.equal(r.status, 0, r.stderr);
    const dir = /^dir=(.*)$/m.exec(r.stdout)![1]!;
    assert.match(dir, new RegExp(`^${tmp}/elab-vm-ci-`), 'in TMPDIR, named after the driver');
    assert.match(r.stdout, /^exists$/m);
    assert.match(r.stdout, new RegExp(`^child sees ${dir}$`, 'm'), "exported to the stage's commands");
    assert.equal(readFileSync(join(tmp, 'calls'), 'utf8'), `lab reap --all --driver vm in ${dir}\n`, 'one reap, of that dir, on exit');
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith('elab-')),
      [],
      'the dir is removed',
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
