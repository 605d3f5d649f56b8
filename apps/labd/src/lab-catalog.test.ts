import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LabCatalog } from './lab-catalog.ts';

const repoLabs = join(import.meta.dirname, '../../../labs');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'catalog-'));
  // _lib: xdp's lab.yaml names the lab library's record.py, which loadLab finds beside the labs.
  for (const id of ['hello-ebpf', 'xdp', '_lib']) cpSync(join(repoLabs, id), join(dir, id), { recursive: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('an edited lab.yaml is seen, a broken one names its file and field and the other labs stay served', () => {
  const cat = new LabCatalog(dir, { recheckMs: 0 });
  assert.deepEqual(
    cat.list().map((r) => r.ok && r.lab.spec.id),
    ['hello-ebpf', 'xdp'],
  );
  const first = cat.find('xdp');
  assert.equal(cat.find('xdp'), first, 'unchanged files are not re-read');

  const yaml = join(dir, 'xdp/lab.yaml');
  const original = readFileSync(yaml, 'utf8');
  writeFileSync(yaml, original.replace(/^title: .*$/m, 'title: Renamed while labd runs'));
  assert.equal(cat.find('xdp').spec.title, 'Renamed while labd runs');

  writeFileSync(yaml, original.replace(/^title: .*$/m, 'title: 42\nsetupTimeoutSeconds: -5'));
  const broken = cat.list().find((r) => !r.ok);
  assert.ok(broken && !broken.ok);
  assert.equal(broken.id, 'xdp');
  assert.equal(broken.error.file, yaml);
  assert.ok(
    broken.error.issues.some((i) => i.field === 'setupTimeoutSeconds'),
    JSON.stringify(broken.error.issues),
  );
  assert.throws(
    () => cat.find('xdp'),
    (e: Error) => e.message.includes(yaml) && e.message.includes('setupTimeoutSeconds'),
  );
  assert.equal(cat.find('hello-ebpf').spec.id, 'hello-ebpf', 'the other lab is still served');

  writeFileSync(yaml, original);
  assert.equal(cat.find('xdp').spec.id, 'xdp', 'fixing the file brings the lab back');
});

test('a hint edited, a lab added and a lab removed are all seen', () => {
  const cat = new LabCatalog(dir, { recheckMs: 0 });
  const step = cat.find('hello-ebpf').steps[0]!;
  writeFileSync(join(step.dir, 'hint.md'), 'a new hint\n');
  assert.equal(cat.find('hello-ebpf').steps[0]!.hint, 'a new hint\n');

  cpSync(join(repoLabs, 'write-c'), join(dir, 'write-c'), { recursive: true });
  assert.equal(cat.find('write-c').spec.id, 'write-c');
  rmSync(join(dir, 'write-c'), { recursive: true });
  assert.throws(() => cat.find('write-c'), /unknown lab "write-c"/);
});

test('a lab-library file that goes away breaks the labs naming it, and coming back restores them', () => {
  const cat = new LabCatalog(dir, { recheckMs: 0 });
  assert.equal(cat.find('xdp').spec.id, 'xdp');
  const lib = join(dir, '_lib/record.py');
  const text = readFileSync(lib, 'utf8');
  rmSync(lib);
  try {
    assert.throws(() => cat.find('xdp'), /record\.py" is not a file/);
    assert.equal(cat.find('hello-ebpf').spec.id, 'hello-ebpf', 'a lab without lib: is still served');
  } finally {
    writeFileSync(lib, text);
  }
  assert.equal(cat.find('xdp').spec.id, 'xdp');
});

test('within recheckMs the catalog answers from memory', () => {
  const cat = new LabCatalog(dir, { recheckMs: 60_000 });
  const before = cat.find('xdp');
  const yaml = join(dir, 'xdp/lab.yaml');
  const original = readFileSync(yaml, 'utf8');
  try {
    writeFileSync(yaml, original.replace(/^title: .*$/m, 'title: Not yet seen'));
    assert.equal(cat.find('xdp'), before);
    cat.refresh(true);
    assert.equal(cat.find('xdp').spec.title, 'Not yet seen');
  } finally {
    writeFileSync(yaml, original);
  }
});
