import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, downAllLabs, isRoot, learner, startLabd, upLab, type LabdProcess } from '../test-support/labd-harness.ts';

const skip = !isRoot && 'needs root (real netns labs, clang, bpftool)';
const SRC = 'bpf/hello/hello.bpf.c';
let labd: LabdProcess;
let token: string;
let original: string;

before(async () => {
  if (skip) return;
  labd = await startLabd();
  token = (await learner(labd, 'Ann')).token;
  await upLab(labd, token);
  original = (await call(labd.url, 'GET', `/v1/lab/files?path=${SRC}`, token)).text;
});

after(async () => {
  if (skip) return;
  await labd.stop();
  downAllLabs(labd.stateDir);
});

/** Replaces `from` in hello.bpf.c and returns the 1-based line where `marker` ends up. */
async function edit(from: string, to: string, marker: string): Promise<number> {
  assert.ok(original.includes(from), `hello.bpf.c still contains ${JSON.stringify(from)}`);
  const src = original.replace(from, to);
  assert.equal((await call(labd.url, 'PUT', `/v1/lab/files?path=${SRC}`, token, src)).status, 204);
  return src.split('\n').findIndex((l) => l.includes(marker)) + 1;
}

const build = async (tool = 'hello') => call(labd.url, 'POST', '/v1/lab/build', token, { tool });

test('the unchanged hello builds and loads', { skip }, async () => {
  const r = await build();
  assert.equal(r.status, 200);
  assert.equal(r.body.ok, true, r.body.log);
  assert.equal(r.body.stage, 'done');
  assert.deepEqual(
    r.body.diagnostics.filter((d: { severity: string }) => d.severity === 'error'),
    [],
  );
});

test('a clang syntax error comes back as a diagnostic at its line and column', { skip }, async () => {
  const line = await edit('\tcount_exec(uid);\n', '\tcount_exec(uid)\n', 'count_exec(uid)');
  const r = await build();
  assert.equal(r.body.ok, false);
  assert.equal(r.body.stage, 'compile');
  const d = r.body.diagnostics.find((x: { severity: string }) => x.severity === 'error');
  assert.ok(d, r.body.log);
  assert.equal(d.file, SRC, 'the path is relative to the workdir, as the editor names it');
  assert.equal(d.line, line);
  assert.equal(d.column, '\tcount_exec(uid)'.length + 1, 'clang points just past the missing semicolon');
  assert.match(d.message, /expected ';'/);
});

test('a verifier rejection (map value used without a NULL check) points at the offending line', { skip }, async () => {
  const line = await edit(
    '\tcount = bpf_map_lookup_elem(&exec_count, &uid);\n\tif (count) {\n\t\t__sync_fetch_and_add(count, 1);\n',
    '\tcount = bpf_map_lookup_elem(&exec_count, &uid);\n\t*count += 1; /* no NULL check */\n\tif (count) {\n',
    'no NULL check',
  );
  const r = await build();
  assert.equal(r.body.ok, false);
  assert.equal(r.body.stage, 'load', r.body.log);
  assert.match(r.body.log, /map_value_or_null/, 'the verifier log is returned');
  const d = r.body.diagnostics.find((x: { severity: string }) => x.severity === 'error');
  assert.ok(d, r.body.log);
  assert.equal(d.file, SRC);
  assert.equal(d.line, line);
  assert.match(d.message, /invalid mem access 'map_value_or_null'/);
});

test('a bad or missing tool is refused', { skip }, async () => {
  assert.equal((await build('../../etc')).status, 400);
  assert.equal((await build('nope')).status, 404);
  assert.equal((await call(labd.url, 'POST', '/v1/lab/build', token, {})).status, 400);
});
