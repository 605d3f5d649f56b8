import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadLab, loadLabs } from './load-lab.ts';

const fixtures = join(fileURLToPath(import.meta.url), '../../fixtures');

test('a malformed lab.yaml names its file and field, and the other labs still load', () => {
  const results = loadLabs(join(fixtures, 'one-lab-broken'));
  const byId = new Map(results.map((r) => [r.ok ? r.lab.spec.id : r.id, r]));
  const good = byId.get('good-lab');
  assert.ok(good?.ok, 'good-lab loads');
  assert.equal(good.lab.steps[0]!.timeoutSeconds, 30, 'default timeout applies');

  const timeout = byId.get('bad-timeout');
  assert.ok(timeout && !timeout.ok);
  assert.match(timeout.error.message, /bad-timeout\/lab\.yaml/);
  assert.match(timeout.error.message, /steps\.0\.timeoutSeconds/);

  const yaml = byId.get('bad-yaml');
  assert.ok(yaml && !yaml.ok);
  assert.match(yaml.error.message, /bad-yaml\/lab\.yaml: line \d+, column \d+: not valid YAML/);

  const limits = byId.get('bad-limits');
  assert.ok(limits && !limits.ok);
  assert.match(limits.error.message, /bad-limits\/lab\.yaml: limits\.memoryMiB: .*at least 64/);

  const solve = byId.get('missing-solve');
  assert.ok(solve && !solve.ok);
  assert.match(solve.error.message, /steps\.0: step "only" has no .*solve\.sh/);
});

test('the real labs in the repository all load', () => {
  const results = loadLabs(join(fixtures, '../../../labs'));
  assert.ok(results.length >= 1);
  for (const r of results) assert.ok(r.ok, r.ok ? '' : r.error.message);
});

test('wrong/ and alt/ scripts load with their leading comment; .sh files only', () => {
  const results = loadLabs(join(fixtures, 'variants'));
  const good = results.find((r) => r.ok && r.lab.spec.id === 'with-variants');
  assert.ok(good?.ok);
  const step = good.lab.steps[0]!;
  assert.deepEqual(
    step.wrong.map((w) => [w.name, w.about]),
    [
      ['fake', 'a fake evidence file'],
      ['not-started', 'forgets to start the program'],
    ],
  );
  assert.deepEqual(
    step.alt.map((a) => [a.name, a.about]),
    [['other-tool', 'the same with another tool']],
  );
});

test('a wrong/ script without its leading comment is a load error naming the file', () => {
  const bad = loadLabs(join(fixtures, 'variants')).find((r) => !r.ok && r.id === 'no-comment');
  assert.ok(bad && !bad.ok);
  assert.match(bad.error.message, /no-comment\/steps\/only\/wrong\/bare\.sh/);
  assert.match(bad.error.message, /must begin with a one-line comment naming the mistake/);
});

test('lib: names files of the lab library (labs/_lib); a missing one is a load error naming it', () => {
  const labs = loadLabs(join(fixtures, '../../../labs'));
  const xdp = labs.find((r) => r.ok && r.lab.spec.id === 'xdp');
  assert.ok(xdp?.ok);
  assert.deepEqual(
    xdp.lab.libFiles,
    ['record.py', 'options.sh'].map((f) => join(fixtures, '../../../labs/_lib', f)),
  );
  assert.ok(!labs.some((r) => (r.ok ? r.lab.spec.id : r.id) === '_lib'), 'the library folder is not a lab');

  const root = mkdtempSync(join(tmpdir(), 'elab-lib-'));
  mkdirSync(join(root, 'uses-lib/steps/one'), { recursive: true });
  writeFileSync(join(root, 'uses-lib/lab.yaml'), 'id: uses-lib\ntitle: Uses lib\ndrivers: [netns]\nlib: [nothere.py]\nsteps:\n  - id: one\n    title: One\n');
  writeFileSync(join(root, 'uses-lib/steps/one/check.sh'), 'true\n');
  writeFileSync(join(root, 'uses-lib/steps/one/solve.sh'), 'true\n');
  const [bad] = loadLabs(root);
  assert.ok(bad && !bad.ok);
  assert.match(bad.error.message, /uses-lib\/lab\.yaml: lib\.0: "nothere\.py" is not a file in .*_lib; name a file of the lab library/);
});

/** A one-step lab in a temp folder, its lab.yaml ending with `extra`. */
function tempLab(id: string, extra: string, files: Record<string, string> = {}): string {
  const labs = mkdtempSync(join(tmpdir(), 'elab-spec-test-'));
  const dir = join(labs, id);
  mkdirSync(join(dir, 'steps', 'only'), { recursive: true });
  writeFileSync(join(dir, 'steps', 'only', 'check.sh'), 'exit 0\n');
  writeFileSync(join(dir, 'steps', 'only', 'solve.sh'), 'true\n');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, 'files', path, '..'), { recursive: true });
    writeFileSync(join(dir, 'files', path), text);
  }
  writeFileSync(join(dir, 'lab.yaml'), `id: ${id}\ntitle: T\ndrivers: [netns]\ninclude: [bpf/Makefile, bpf/tool]\n${extra}`);
  return dir;
}

test('editor.open (per lab and per step) must be a file the lab puts in its workdir', () => {
  const ok = loadLab(
    tempLab('ed-ok', 'editor: { open: src/main.c }\nsteps:\n  - { id: only, title: S, editor: { open: bpf/tool/tool.bpf.c } }\n', { 'src/main.c': '' }),
  );
  assert.equal(ok.spec.editor?.open, 'src/main.c');
  assert.equal(ok.steps[0]!.editor?.open, 'bpf/tool/tool.bpf.c');
  assert.throws(
    () => loadLab(tempLab('ed-bad', 'steps:\n  - { id: only, title: S, editor: { open: bpf/other/x.c } }\n')),
    /steps\.0\.editor\.open: "bpf\/other\/x\.c" is not a file this lab puts in its workdir: .*include \(bpf\/Makefile, bpf\/tool\)/,
  );
  assert.throws(() => loadLab(tempLab('ed-up', 'editor: { open: ../etc/passwd }\nsteps:\n  - { id: only, title: S }\n')), /editor\.open: .*without "\.\."/);
  assert.throws(() => loadLab(tempLab('ed-key', 'editor: { file: a.c }\nsteps:\n  - { id: only, title: S }\n')), /editor/);
});

test("a lab folder that cannot be read (a file where steps/<id>/wrong should be) is that lab's error only", () => {
  const labs = fileURLToPath(new URL('../../../labs', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'elab-labs-'));
  try {
    for (const d of ['xdp', 'write-c', '_lib']) cpSync(join(labs, d), join(dir, d), { recursive: true });
    rmSync(join(dir, 'xdp/steps/iptables/wrong'), { recursive: true, force: true });
    writeFileSync(join(dir, 'xdp/steps/iptables/wrong'), 'not a folder');
    const got = loadLabs(dir);
    const xdp = got.find((r) => !r.ok && r.id === 'xdp');
    assert.ok(xdp && !xdp.ok, 'xdp is reported broken');
    assert.match(xdp.error.issues[0]!.message, /ENOTDIR/);
    assert.doesNotMatch(xdp.error.issues[0]!.field, /^\//, 'the field is a path inside the lab, not the host path');
    assert.ok(
      got.some((r) => r.ok && r.lab.spec.id === 'write-c'),
      'write-c still loads',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
