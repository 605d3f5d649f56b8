import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpecError } from './errors.ts';
import { parseLessonSource } from './lesson-schema.ts';

const ok = '---\ntitle: Hi\ndescription: One line.\nlab: hello-ebpf\nsteps: [bpftrace]\n---\n\n# Body\n';

test('a valid lesson yields its front matter, its body and the body line', () => {
  const r = parseLessonSource('a.mdx', ok);
  assert.deepEqual(r.frontMatter, { title: 'Hi', description: 'One line.', lab: 'hello-ebpf', steps: ['bpftrace'] });
  assert.equal(r.body, '\n# Body\n');
  assert.equal(r.bodyLine, 7);
});

test('a missing title names the file and the field', () => {
  assert.throws(
    () => parseLessonSource('content/en/x.mdx', '---\ndescription: d\n---\n'),
    (e: unknown) => e instanceof SpecError && e.file === 'content/en/x.mdx' && e.issues.some((i) => i.field === 'title'),
  );
});

test('an unknown key and steps without a lab are both refused by name', () => {
  assert.throws(() => parseLessonSource('x.mdx', '---\ntitle: t\ndescription: d\ncolour: red\n---\n'), /x\.mdx.*colour/);
  assert.throws(() => parseLessonSource('x.mdx', '---\ntitle: t\ndescription: d\nsteps: [a]\n---\n'), /x\.mdx: steps: steps need a lab/);
});

test('no front matter and broken YAML are spec errors, not crashes', () => {
  assert.throws(() => parseLessonSource('x.mdx', '# just prose\n'), /x\.mdx.*missing front matter/);
  assert.throws(() => parseLessonSource('x.mdx', '---\ntitle: [unclosed\n---\n'), /x\.mdx: line \d+: front matter is not valid YAML/);
});
