// The import rules bite: a tree with one deliberate violation per rule fails, each line naming the
// file, the import and the rule; the same tree without them passes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'check-imports.mjs');
const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'elab-imports-'));
  roots.push(root);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}
const check = (root: string) => spawnSync(process.execPath, [script, '--root', root], { encoding: 'utf8' });

const clean: Record<string, string> = {
  'apps/web/lib/a.ts': "import { LabView } from '@ebpf-lab/api';\nimport type { Roster } from '@ebpf-lab/lab-spec';\n",
  'labs/x/steps/s/check.ts':
    "import { defineCheck } from '@ebpf-lab/lab-spec';\nimport { readFileSync } from 'node:fs';\nimport { probe } from '../../lib/probe.ts';\n",
  'labs/k/checks/cluster.ts': "import { checkError } from '@ebpf-lab/check-sdk';\nexport * from '@ebpf-lab/check-sdk/kube';\n",
  'labs/x/classroom.test.ts':
    "import { lab } from '../../apps/labd/src/test-support/lab-cli.ts';\nimport { parseVerifierLog } from '../../apps/labd/src/core/diagnostics.ts';\nimport { parse } from 'yaml';\n",
  'packages/api/src/a.ts': "import { z } from 'zod';\nimport { Op } from '@ebpf-lab/protocol';\nimport { b } from './b.ts';\n",
  'packages/api/src/a.test.ts': "import { test } from 'node:test';\n",
  'packages/protocol/src/a.ts': "export * from './b.ts';\n",
  'apps/labd/src/classes/a.ts': "import { reply } from '../http/contract.ts';\nimport type { LabManager } from '../core/lab-manager.ts';\n",
  'apps/labd/src/core/a.ts': "import { NotFound } from '../errors.ts';\n",
};

test('a tree that follows the rules passes', () => {
  const r = check(tree({ ...clean }));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /files follow the import rules/);
});

test('each rule bites, naming file, line, import and rule', () => {
  const r = check(
    tree({
      ...clean,
      'apps/web/lib/bad.ts': "import { x } from '../../labd/src/core/lab-manager.ts';\n",
      'apps/web/app/bad2.tsx': "const m = await import('@ebpf-lab/labd');\n",
      'labs/x/steps/s/bad.ts': "\nimport { run } from '../../../../apps/labd/src/proc.ts';\n",
      'packages/api/src/bad.ts': "import { readFileSync } from 'node:fs';\n",
      'packages/protocol/src/bad.ts': "export type { X } from 'react';\n",
      'apps/labd/src/sessions/bad.ts': "import type { Policy } from '../server/routes.ts';\n",
      'apps/labd/src/classes/bad.ts': "export { reply } from '../server/server.ts';\n",
      'apps/labd/src/core/bad.ts': "import { sendError } from '../http/errors.ts';\n",
      'labs/x/bad.test.ts': "import { reply } from '../../apps/labd/src/http/contract.ts';\n",
    }),
  );
  assert.equal(r.status, 1, r.stdout);
  const lines = r.stderr.trim().split('\n');
  const expect: [string, RegExp][] = [
    ['apps/web/lib/bad.ts:1: imports "../../labd/src/core/lab-manager.ts"', /web never imports labd/],
    ['apps/web/app/bad2.tsx:1: imports "@ebpf-lab/labd"', /web never imports labd/],
    ['labs/x/steps/s/bad.ts:2: imports "../../../../apps/labd/src/proc.ts"', /lab code imports only/],
    ['packages/api/src/bad.ts:1: imports "node:fs"', /packages\/api imports only zod/],
    ['packages/protocol/src/bad.ts:1: imports "react"', /packages\/protocol imports nothing/],
    ['apps/labd/src/sessions/bad.ts:1: imports "../server/routes.ts"', /never import server\//],
    ['apps/labd/src/classes/bad.ts:1: imports "../server/server.ts"', /never import server\//],
    ['apps/labd/src/core/bad.ts:1: imports "../http/errors.ts"', /core\/ never imports the transport/],
    ['labs/x/bad.test.ts:1: imports "../../apps/labd/src/http/contract.ts"', /lab tests import labd only through/],
  ];
  for (const [start, rule] of expect) {
    const line = lines.find((l) => l.startsWith(start));
    assert.ok(line, `no line for ${start} in:\n${r.stderr}`);
    assert.match(line, rule);
  }
  assert.match(lines.at(-1)!, /9 violation/);
});

test('a part imports only the workspace packages its tsconfig references', () => {
  const project = {
    'packages/api/package.json': '{ "name": "@ebpf-lab/api" }',
    'packages/lab-spec/package.json': '{ "name": "@ebpf-lab/lab-spec" }',
    'apps/labd/package.json': '{ "name": "@ebpf-lab/labd" }',
    // JSON with a comment, as tsconfig files may have.
    'apps/labd/tsconfig.build.json': '{\n  // labd\n  "references": [{ "path": "../../packages/api/tsconfig.build.json" }]\n}\n',
    'apps/labd/src/ok.ts': "import { ENDPOINTS } from '@ebpf-lab/api';\n",
  };
  assert.equal(check(tree({ ...clean, ...project })).status, 0, 'a referenced package is fine');
  const r = check(tree({ ...clean, ...project, 'apps/labd/src/bad.ts': "\nimport { loadLab } from '@ebpf-lab/lab-spec/loader';\n" }));
  assert.equal(r.status, 1, r.stdout);
  assert.match(
    r.stderr,
    /apps\/labd\/src\/bad\.ts:2: imports "@ebpf-lab\/lab-spec\/loader": apps\/labd\/src\/ imports a workspace package only when apps\/labd\/tsconfig\.build\.json references it/,
  );
  assert.match(r.stderr, /1 violation/);
});

test('this repository follows the rules', () => {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
