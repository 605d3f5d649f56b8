import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else field += c;
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
  writeFileSync(join(subs, 'bo/bpf/hello/hello.bpf.c'), readFileSync(join(repoRoot, 'bpf/hello/hello.bpf.c'), 'utf8').replace('SEC("license")', 'SEC("license"'));
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
  assert.deepEqual(rows.map((x) => `${x[col('learner')]}/${x[col('step')]}:${x[col('status')]}`), [
    'ada/bpftrace:pass', 'ada/hello:pass', 'ada/map:fail',
    'bo/bpftrace:fail', 'bo/hello:fail', 'bo/map:fail',
    'cy/bpftrace:fail', 'cy/hello:pass', 'cy/map:fail',
  ], 'one row per learner × check; hidden folders and loose files are not learners');
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

test('submissions are graded in VMs when the lab runs on vm and the vm driver works here, else on the first driver', () => {
  const hello = loadLab(join(repoRoot, 'labs/hello-ebpf'));
  assert.equal(pickGradingDriver(hello, true), 'vm');
  assert.equal(pickGradingDriver(hello, false), hello.spec.drivers[0]);
  const noVm = { ...hello, spec: { ...hello.spec, drivers: ['netns' as const, 'vagrant' as const] } };
  assert.equal(pickGradingDriver(noVm, true), 'netns', 'a lab that does not list vm stays on its own driver');
});
