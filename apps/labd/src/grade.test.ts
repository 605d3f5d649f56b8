import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isRoot, lab, repoRoot, tempStateDir } from './test-support/lab-cli.ts';

interface Report {
  score: number;
  max: number;
  results: { step: string; status: string; message: string; gradeScript?: string }[];
}

test("lab grade runs the learner's own files in a fresh lab and writes JSON and JUnit evidence", { skip: !isRoot && 'needs root' }, () => {
  const env = { ...process.env, ELAB_STATE_DIR: tempStateDir() };
  const out = mkdtempSync(join(tmpdir(), 'elab-grade-'));

  // A learner who did step 1 (their own bpftrace program) and nothing else.
  const good = join(out, 'learner-a');
  mkdirSync(good);
  writeFileSync(join(good, 'trace-execve.bt'), 'tracepoint:syscalls:sys_enter_execve { printf("%s\\n", str(args->filename)); }\n');
  const a = lab(['grade', 'hello-ebpf', '--submission', good, '--json', join(out, 'a.json'), '--junit', join(out, 'a.xml')], { env });
  assert.equal(a.code, 0, a.stderr);
  const ra = JSON.parse(readFileSync(join(out, 'a.json'), 'utf8')) as Report;
  assert.equal(ra.max, 3);
  const status = (r: Report) => Object.fromEntries(r.results.map((x) => [x.step, x.status]));
  // Step 2 passes too: grading builds the (unchanged) starter bpf/hello, as the learner was told to.
  assert.deepEqual(status(ra), { bpftrace: 'pass', hello: 'pass', map: 'fail' });
  assert.equal(ra.score, 2);
  const junit = readFileSync(join(out, 'a.xml'), 'utf8');
  assert.match(junit, /<testsuite name="hello-ebpf" tests="3" failures="1" errors="0"/);
  assert.match(junit, /<testcase classname="hello-ebpf" name="map"[^>]*><failure message="exec-count.json does not exist yet/);

  // A learner whose program does not compile and whose bpftrace file is the untouched starter:
  // both are their failures (fail), not grading errors.
  const bad = join(out, 'learner-b');
  mkdirSync(join(bad, 'bpf/hello'), { recursive: true });
  writeFileSync(join(bad, 'bpf/hello/hello.bpf.c'), readFileSync(join(repoRoot, 'bpf/hello/hello.bpf.c'), 'utf8').replace('SEC("license")', 'SEC("license"'));
  const b = lab(['grade', 'hello-ebpf', '--submission', bad, '--json', join(out, 'b.json')], { env });
  assert.equal(b.code, 0, b.stderr);
  const rb = JSON.parse(readFileSync(join(out, 'b.json'), 'utf8')) as Report;
  assert.deepEqual(status(rb), { bpftrace: 'fail', hello: 'fail', map: 'fail' });
  assert.match(rb.results.find((r) => r.step === 'hello')!.gradeScript ?? '', /error/i, 'the build error is kept as evidence');

  const missing = lab(['grade', 'hello-ebpf', '--submission', join(out, 'nope')], { env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /submission ".*nope" is not a folder/);
});

test("grading a map dump: bpftool's form passes (said to be judged without the live map), a hand-typed one fails", { skip: !isRoot && 'needs root' }, () => {
  const env = { ...process.env, ELAB_STATE_DIR: tempStateDir() };
  const out = mkdtempSync(join(tmpdir(), 'elab-grade-'));
  const submit = (name: string, dump: string) => {
    mkdirSync(join(out, name));
    writeFileSync(join(out, name, 'exec-count.json'), dump);
    const r = lab(['grade', 'hello-ebpf', '--submission', join(out, name), '--json', join(out, `${name}.json`)], { env });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as Report).results.find((x) => x.step === 'map')!;
  };
  // Exactly what `bpftool -j map dump name exec_count` wrote in a learner's lab (another lab's map beside it).
  const real =
    '[{"id":60,"type":"hash","name":"exec_count","flags":0,"elements":[{"key":["0x00","0x00","0x00","0x00"],"value":["0xae","0x02","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":0,"value":686}}]},{"id":72,"type":"hash","name":"exec_count","flags":0,"elements":[{"key":["0x00","0x00","0x00","0x00"],"value":["0x03","0x01","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":0,"value":259}}]}]';
  const ok = submit('real', real);
  assert.equal(ok.status, 'pass', ok.message);
  assert.match(ok.message, /graded from the submission alone/);
  const typed = submit('typed', '[{"key":0,"value":5}]\n');
  assert.equal(typed.status, 'fail');
  assert.match(typed.message, /decoded numbers only/);
});
