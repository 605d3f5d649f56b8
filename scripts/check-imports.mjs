#!/usr/bin/env node
// The import rules between the parts of eBPF Lab, checked on every import specifier (static,
// type-only, re-export and dynamic import()) as the TypeScript compiler reads them.
// usage: node scripts/check-imports.mjs [--root DIR]   (exit 1 and one line per violation)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const argRoot = process.argv.indexOf('--root');
const root = argRoot > 0 ? process.argv[argRoot + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = /\.(ts|tsx|mts|mjs)$/;
const SKIP_DIRS = new Set(['node_modules', '.next', '.git', 'dist', 'out']);
const isTest = (f) => /\.test\.tsx?$/.test(f);
const nodeBuiltin = (s) => s.startsWith('node:') || builtinModules.includes(s.split('/')[0]);
/** What a lab's code may import of the workspace: lab-spec, and check-sdk with its subpaths (e.g. /kube). */
const labPackage = (s) => s === '@ebpf-lab/lab-spec' || s === '@ebpf-lab/check-sdk' || s.startsWith('@ebpf-lab/check-sdk/');

/**
 * Each rule: which files it covers, and for an import (its specifier and, when relative, the
 * repo path it resolves to) why it is refused, or null.
 */
const RULES = [
  {
    name: 'web never imports labd (it talks to labd over HTTP; share code through packages/api)',
    covers: (f) => f.startsWith('apps/web/'),
    refuses: (spec, target) => spec === '@ebpf-lab/labd' || spec.startsWith('@ebpf-lab/labd/') || target?.startsWith('apps/labd/'),
  },
  {
    name: 'lab code imports only @ebpf-lab/lab-spec, @ebpf-lab/check-sdk, node: built-ins and files of labs/',
    covers: (f) => f.startsWith('labs/') && !isTest(f),
    refuses: (spec, target) => !(labPackage(spec) || nodeBuiltin(spec) || target?.startsWith('labs/')),
  },
  {
    // A lab's tests drive the `lab` CLI through labd's test harnesses and may call labd's domain
    // functions (e.g. core/diagnostics.ts on a verifier log), but never its transport or the web.
    name: "lab tests import labd only through apps/labd/src/test-support/ or core/, never labd's transport or the web",
    covers: (f) => f.startsWith('labs/') && isTest(f),
    refuses: (spec, target) =>
      spec === '@ebpf-lab/labd' ||
      spec.startsWith('@ebpf-lab/labd/') ||
      spec === '@ebpf-lab/web' ||
      (target?.startsWith('apps/') && !target.startsWith('apps/labd/src/test-support/') && !target.startsWith('apps/labd/src/core/')),
  },
  {
    name: 'packages/protocol imports nothing of Node, the DOM or other packages',
    covers: (f) => f.startsWith('packages/protocol/src/') && !isTest(f),
    refuses: (spec, target) => !target?.startsWith('packages/protocol/'),
  },
  {
    name: 'packages/api imports only zod and @ebpf-lab/protocol (no Node, no DOM: the browser and labd both load it)',
    covers: (f) => f.startsWith('packages/api/src/') && !isTest(f),
    refuses: (spec, target) => !(spec === 'zod' || spec === '@ebpf-lab/protocol' || target?.startsWith('packages/api/')),
  },
  {
    name: 'labd sessions/ and classes/ never import server/ (move what they share down into core/ or http/)',
    covers: (f) => f.startsWith('apps/labd/src/sessions/') || f.startsWith('apps/labd/src/classes/'),
    refuses: (spec, target) => target?.startsWith('apps/labd/src/server/'),
  },
  {
    name: 'labd core/ never imports the transport (server/, http/): it throws domain errors, http/errors.ts maps them',
    covers: (f) => f.startsWith('apps/labd/src/core/') && !isTest(f),
    refuses: (spec, target) => target?.startsWith('apps/labd/src/server/') || target?.startsWith('apps/labd/src/http/'),
  },
];

/**
 * The parts `tsc -b tsconfig.build.json` builds as projects, each with the tsconfig whose
 * `references` list the workspace packages it may import: a new dependency between parts is then a
 * reference added in review, and tsc checks the part against that package's declarations. (tsc
 * itself does not refuse an unreferenced package: it resolves through node_modules as a library.)
 */
const PROJECTS = [
  { dir: 'apps/labd/src/', config: 'apps/labd/tsconfig.build.json' },
  { dir: 'apps/web/', config: 'apps/web/tsconfig.check.json' },
  { dir: 'packages/api/src/', config: 'packages/api/tsconfig.build.json' },
  { dir: 'packages/lab-spec/src/', config: 'packages/lab-spec/tsconfig.build.json' },
  { dir: 'packages/check-sdk/src/', config: 'packages/check-sdk/tsconfig.build.json' },
];

/** The package.json name of the folder holding `dir` (walking up), or null. */
function packageName(dir) {
  for (let d = dir; d.startsWith(root) && d !== dirname(d); d = dirname(d)) {
    try {
      return JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).name ?? null;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** The workspace packages a project's tsconfig references (its own included), or null without that tsconfig. */
function referenced(config) {
  const abs = join(root, config);
  const read = ts.readConfigFile(abs, ts.sys.readFile);
  if (read.error) return null;
  const names = new Set([packageName(dirname(abs))]);
  for (const r of read.config.references ?? []) {
    const target = join(dirname(abs), r.path);
    names.add(packageName(target.endsWith('.json') ? dirname(target) : target));
  }
  return names;
}

for (const p of PROJECTS) {
  const allowed = referenced(p.config);
  if (!allowed) continue;
  RULES.push({
    name: `${p.dir} imports a workspace package only when ${p.config} references it (add the reference, or do not depend on it)`,
    covers: (f) => f.startsWith(p.dir) && !isTest(f),
    refuses: (spec) => {
      const m = /^(@ebpf-lab\/[^/]+)/.exec(spec);
      return !!m && !allowed.has(m[1]);
    },
  });
}

function* walk(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (SKIP_DIRS.has(n) || n.startsWith('.')) continue;
    const p = join(dir, n);
    const st = statSync(p);
    if (st.isDirectory()) yield* walk(p);
    else if (SOURCE.test(n) && !n.endsWith('.d.ts')) yield p;
  }
}

const toRepo = (abs) => relative(root, abs).split(sep).join('/');
const violations = [];
let files = 0;
for (const top of ['apps', 'packages', 'labs']) {
  for (const abs of walk(join(root, top))) {
    const file = toRepo(abs);
    const rules = RULES.filter((r) => r.covers(file));
    if (!rules.length) continue;
    files++;
    const text = readFileSync(abs, 'utf8');
    const info = ts.preProcessFile(text, true, true);
    for (const imp of info.importedFiles) {
      const spec = imp.fileName;
      const target = spec.startsWith('.') ? toRepo(normalize(join(dirname(abs), spec))) : undefined;
      for (const rule of rules) {
        if (!rule.refuses(spec, target)) continue;
        const line = ts.getLineAndCharacterOfPosition(ts.createSourceFile(file, text, ts.ScriptTarget.Latest), imp.pos).line + 1;
        violations.push(`${file}:${line}: imports "${spec}": ${rule.name}`);
      }
    }
  }
}

if (violations.length) {
  console.error(violations.join('\n'));
  console.error(`check-imports: ${violations.length} violation(s) of the import rules (scripts/check-imports.mjs)`);
  process.exit(1);
}
console.log(`check-imports: ${files} files follow the import rules`);
