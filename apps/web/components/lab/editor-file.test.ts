import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editorFileFor } from './editor-file';

const steps = [{ id: 'field', editor: 'bpf/execsnoop/execsnoop.bpf.c' }, { id: 'verifier', editor: 'bpf/execcount/execcount.bpf.c' }, { id: 'free' }];

test("the current step's file; the next step's once it passes; the lab's for a step that names none", () => {
  assert.equal(
    editorFileFor(steps, () => false, 'lab.c'),
    'bpf/execsnoop/execsnoop.bpf.c',
  );
  assert.equal(
    editorFileFor(steps, (s) => s === 'field', 'lab.c'),
    'bpf/execcount/execcount.bpf.c',
  );
  assert.equal(
    editorFileFor(steps, (s) => s !== 'free', 'lab.c'),
    'lab.c',
  );
  assert.equal(
    editorFileFor(steps, () => true, 'lab.c'),
    'lab.c',
    "all passed: the lab's file",
  );
  assert.equal(
    editorFileFor([{ id: 'a' }], () => false),
    undefined,
    "nothing named: the editor's default",
  );
});
