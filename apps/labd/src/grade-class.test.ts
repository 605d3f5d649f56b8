import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadLab } from '@ebpf-lab/lab-spec';
import { EVIDENCE_COLUMNS, pickGradingDriver } from './grade-class.ts';
import { isRoot, lab, repoRoot, tempStateDir } from './test-support/lab-cli.ts';

/** RFC 4180 reader for the test: quoted fields may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

test('lab grade --submissions grades one subfolder per learner in fresh labs into one evidence CSV', { skip: !isRoot && 'needs root' }, () => {
  const env = { ...process.env, ELAB_STATE_DIR: tempStateDir() };
  const root = mkdtempSync(join(tmpdir(), 'elab-grade-class-'));
  const subs = join(root, 'submissions');
  // ada did step 1 with her own bpftrace program; bo broke the libbpf program; cy handed in nothing.
  mkdirSync(join(subs, 'ada'), { recursive: true });
  writeFileSync(join(subs, 'ada/trace-execve.bt'), 'tracepoint:syscalls:sys_enter_execve { printf("%s\\n", str(args->filename)); }\n');
  mkdirSync(join(subs, 'bo/bpf/hello'), { recursive: true });
  writeFileSync(
    join(subs, 'bo/bpf/hello/hello.bpf.c'),
    readFileSync(join(repoRoot, 'bpf/hello/hello.bpf.c'), 'utf8').replace('SEC("license")', 'SEC("license"'),
  );
  mkdirSync(join(subs, 'cy'));
  mkdirSync(join(subs, '.git'));
  writeFileSync(join(subs, 'README.txt'), 'not a learner');

  const out = join(root, 'grades.csv');
  // netns named: without --driver, grading would take VMs where the vm driver works (pickGradingDriver).
  const r = lab(['grade', 'hello-ebpf', '--submissions', subs, '--csv', out, '--jobs', '2', '--driver', 'netns'], { env, timeoutMs: 600_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /graded ada: 2\/3/);
  const [header, ...rows] = parseCsv(readFileSync(out, 'utf8'));
  assert.deepEqual(header, EVIDENCE_COLUMNS);
  const col = (name: string) => EVIDENCE_COLUMNS.indexOf(name);
  assert.deepEqual(
    rows.map((x) => `${x[col('learner')]}/${x[col('step')]}:${x[col('status')]}`),
    [
      'ada/bpftrace:pass',
      'ada/hello:pass',
      'ada/map:fail',
      'bo/bpftrace:fail',
      'bo/hello:fail',
      'bo/map:fail',
      'cy/bpftrace:fail',
      'cy/hello:pass',
      'cy/map:fail',
    ],
    'one row per learner × check; hidden folders and loose files are not learners',
  );
  for (const x of rows) {
    assert.ok(x[col('message')], 'every check has a message');
    assert.match(x[col('ms')]!, /^\d+$/);
  }
  const boHello = rows.find((x) => x[col('learner')] === 'bo' && x[col('step')] === 'hello')!;
  assert.match(boHello[col('grade_script')]!, /error/i, 'the compile error is kept as evidence');
  const adaMap = rows.find((x) => x[col('learner')] === 'ada' && x[col('step')] === 'map')!;
  assert.ok(adaMap[col('expected')] || adaMap[col('actual')], 'a failing check shows expected or actual');

  const empty = mkdtempSync(join(tmpdir(), 'elab-grade-empty-'));
  const none = lab(['grade', 'hello-ebpf', '--submissions', empty], { env });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no learner subfolders/);
});

test('a submission whose lab cannot start is graded error on every step, never fail, and leaves no lab behind', { skip: !isRoot && 'needs root' }, () => {
  const state = tempStateDir();
  const labs = mkdtempSync(join(tmpdir(), 'elab-labs-'));
  mkdirSync(join(labs, 'wont-start/steps/one'), { recursive: true });
  mkdirSync(join(labs, 'wont-start/steps/two'), { recursive: true });
  writeFileSync(
    join(labs, 'wont-start/lab.yaml'),
    'id: wont-start\ntitle: A lab whose setup fails\ndrivers: [netns]\nsteps:\n  - id: one\n    title: One\n  - id: two\n    title: Two\n',
  );
  writeFileSync(join(labs, 'wont-start/setup.sh'), 'echo "setup broke on purpose" >&2\nexit 3\n');
  for (const s of ['one', 'two']) {
    writeFileSync(join(labs, `wont-start/steps/${s}/solve.sh`), 'true\n');
    writeFileSync(join(labs, `wont-start/steps/${s}/check.sh`), 'echo ok\n');
  }
  const env = { ...process.env, ELAB_STATE_DIR: state, ELAB_LABS_DIR: labs };
  const subs = mkdtempSync(join(tmpdir(), 'elab-grade-broken-'));
  mkdirSync(join(subs, 'ada'));
  const out = join(subs, 'grades.csv');
  const r = lab(['grade', 'wont-start', '--submissions', subs, '--csv', out], { env, timeoutMs: 300_000 });
  assert.equal(r.code, 0, `the class's CSV is still written: ${r.stderr}`);
  assert.match(r.stderr, /graded ada: 0\/2/);
  const [, ...rows] = parseCsv(readFileSync(out, 'utf8'));
  const col = (name: string) => EVIDENCE_COLUMNS.indexOf(name);
  assert.deepEqual(
    rows.map((x) => `${x[col('learner')]}/${x[col('step')]}:${x[col('status')]}`),
    ['ada/one:error', 'ada/two:error'],
    "not the learner's fault: error, not fail",
  );
  for (const x of rows) assert.match(x[col('message')]!, /grading could not run/);

  const one = lab(['grade', 'wont-start', '--submission', join(subs, 'ada')], { env, timeoutMs: 300_000 });
  assert.notEqual(one.code, 0, 'a single grade that could not run is not a score');
  assert.match(one.stderr, /setup/i, `names what failed: ${one.stderr}`);
  assert.doesNotMatch(one.stdout, /score:/);
  const left = existsSync(join(state, 'instances')) ? readdirSync(join(state, 'instances')).filter((n) => /^[a-z0-9]{6}$/.test(n)) : [];
  assert.deepEqual(left, [], 'no instance of the failed starts is left');
  assert.deepEqual(JSON.parse(lab(['list', '--json'], { env }).stdout), [], 'lab list shows none');
});

test('submissions are graded in VMs when the lab runs on vm and the vm driver works here, else on the first driver', () => {
  const hello = loadLab(join(repoRoot, 'labs/hello-ebpf'));
  assert.equal(pickGradingDriver(hello, true), 'vm');
  assert.equal(pickGradingDriver(hello, false), hello.spec.drivers[0]);
  const noVm = { ...hello, spec: { ...hello.spec, drivers: ['netns' as const, 'vagrant' as const] } };
  assert.equal(pickGradingDriver(noVm, true), 'netns', 'a lab that does not list vm stays on its own driver');
});
