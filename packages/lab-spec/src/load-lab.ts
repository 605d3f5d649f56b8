import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { SpecError } from './errors.ts';
import { LabSpec, type EditorSpec } from './lab-schema.ts';

export interface LoadedStep {
  id: string;
  title: string;
  timeoutSeconds: number;
  /** The file the lesson's editor opens while this is the learner's step. */
  editor?: EditorSpec;
  dir: string;
  check: { kind: 'ts' | 'sh'; path: string };
  solve: string;
  /** Optional: re-creates kernel state from the learner's own files when grading a submission. */
  grade?: string;
  hint?: string;
  /** steps/<id>/wrong/*.sh: plausible mistakes the check must reject (used by `lab selftest`). */
  wrong: LoadedVariant[];
  /** steps/<id>/alt/*.sh: other correct solutions the check must accept. */
  alt: LoadedVariant[];
}

/** A wrong or alternative solution script; `about` is its leading comment (what mistake or form it models). */
export interface LoadedVariant {
  name: string;
  path: string;
  about: string;
}

export interface LoadedLab {
  spec: LabSpec;
  dir: string;
  setup?: string;
  filesDir?: string;
  /** Host paths of the lab-library files (lab.yaml `lib:`, from <labs>/_lib) the workdir gets under .lab/. */
  libFiles: string[];
  steps: LoadedStep[];
}

export type LabLoadResult = { ok: true; lab: LoadedLab } | { ok: false; id: string; error: SpecError };

function parseYamlFile(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
      throw new SpecError(file, [{ field: where, message: `not valid YAML: ${e.message.split('\n')[0]}` }]);
    }
    throw e;
  }
}

/**
 * The one-line comment a variant script starts with (after an optional #! line). It is what the
 * selftest table prints, so a script without one is a load error rather than an anonymous row.
 */
export function variantAbout(text: string): string | null {
  const lines = text.split('\n');
  const first = lines[0]?.startsWith('#!') ? lines[1] : lines[0];
  const m = /^#\s*(\S.*)$/.exec(first ?? '');
  return m ? m[1]!.trim() : null;
}

function loadVariants(file: string, field: string, sdir: string, kind: 'wrong' | 'alt'): LoadedVariant[] {
  const vdir = join(sdir, kind);
  if (!existsSync(vdir)) return [];
  const what = kind === 'wrong' ? 'the mistake it models' : 'how this solution differs from solve.sh';
  return readdirSync(vdir)
    .filter((n) => n.endsWith('.sh'))
    .sort()
    .map((n) => {
      const path = join(vdir, n);
      const about = variantAbout(readFileSync(path, 'utf8'));
      if (!about)
        throw new SpecError(path, [
          {
            field,
            message: `${kind}/${n} must begin with a one-line comment naming ${what}, e.g. "# ${kind === 'wrong' ? 'a fake evidence file typed by hand' : 'the same with bpftool instead of ip'}"`,
          },
        ]);
      return { name: n.replace(/\.sh$/, ''), path, about };
    });
}

/** Loads one lab folder; throws SpecError naming the file and field on any problem. */
/** A workdir path the lab ships: a file of its files/, or inside one of its `include` paths. */
function inWorkdir(spec: LabSpec, dir: string, path: string): boolean {
  return spec.include.some((inc) => path === inc || path.startsWith(`${inc.replace(/\/+$/, '')}/`)) || existsSync(join(dir, 'files', path));
}

export function loadLab(dir: string): LoadedLab {
  const file = join(dir, 'lab.yaml');
  if (!existsSync(file)) throw new SpecError(file, [{ field: '', message: 'missing: every lab folder needs a lab.yaml' }]);
  const parsed = LabSpec.safeParse(parseYamlFile(file));
  if (!parsed.success) throw SpecError.fromZod(file, parsed.error);
  const spec = parsed.data;
  const folder = dir.split('/').filter(Boolean).pop();
  if (folder !== spec.id) throw new SpecError(file, [{ field: 'id', message: `is "${spec.id}" but the folder is "${folder}"; they must match` }]);
  const editorIssues = [
    { field: 'editor.open', path: spec.editor?.open },
    ...spec.steps.map((s, i) => ({ field: `steps.${i}.editor.open`, path: s.editor?.open })),
  ].flatMap(({ field, path }) =>
    path && !inWorkdir(spec, dir, path)
      ? [
          {
            field,
            message: `"${path}" is not a file this lab puts in its workdir: give a path under files/ or under one of include (${spec.include.join(', ') || 'none'})`,
          },
        ]
      : [],
  );
  if (editorIssues.length) throw new SpecError(file, editorIssues);

  const steps = spec.steps.map((step, i): LoadedStep => {
    const sdir = join(dir, 'steps', step.id);
    const field = `steps.${i}`;
    const ts = join(sdir, 'check.ts');
    const sh = join(sdir, 'check.sh');
    const check = existsSync(ts) ? { kind: 'ts' as const, path: ts } : existsSync(sh) ? { kind: 'sh' as const, path: sh } : null;
    if (!check) throw new SpecError(file, [{ field, message: `step "${step.id}" has no ${sdir}/check.ts or check.sh` }]);
    const solve = join(sdir, 'solve.sh');
    if (!existsSync(solve)) throw new SpecError(file, [{ field, message: `step "${step.id}" has no ${solve}; every step ships a reference solution` }]);
    const grade = join(sdir, 'grade.sh');
    const hint = join(sdir, 'hint.md');
    return {
      ...step,
      dir: sdir,
      check,
      solve,
      grade: existsSync(grade) ? grade : undefined,
      hint: existsSync(hint) ? readFileSync(hint, 'utf8') : undefined,
      wrong: loadVariants(file, field, sdir, 'wrong'),
      alt: loadVariants(file, field, sdir, 'alt'),
    };
  });
  // The library sits beside the labs (loadLabs skips "_" folders), so a lab names only the file.
  const libFiles = spec.lib.map((name, i) => {
    const path = join(dir, '..', '_lib', name);
    if (!existsSync(path) || !statSync(path).isFile())
      throw new SpecError(file, [{ field: `lib.${i}`, message: `"${name}" is not a file in ${join(dir, '..', '_lib')}; name a file of the lab library` }]);
    return path;
  });
  const setup = join(dir, 'setup.sh');
  const files = join(dir, 'files');
  return {
    spec,
    dir,
    steps,
    libFiles,
    setup: existsSync(setup) ? setup : undefined,
    filesDir: existsSync(files) && statSync(files).isDirectory() ? files : undefined,
  };
}

/** The lab folders under labsDir, in name order; folders starting with "_" or "." hold shared material. */
export function labFolders(labsDir: string): string[] {
  if (!existsSync(labsDir)) return [];
  return readdirSync(labsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !/^[_.]/.test(d.name))
    .map((d) => d.name)
    .sort((a, b) => a.localeCompare(b));
}

/** loadLab for one folder of a labs/ tree: a SpecError becomes that lab's result, not a throw. */
export function loadLabResult(labsDir: string, name: string): LabLoadResult {
  try {
    return { ok: true, lab: loadLab(join(labsDir, name)) };
  } catch (e) {
    if (e instanceof SpecError) return { ok: false, id: name, error: e };
    // A folder the loader cannot read as a lab (a file where a directory belongs, no permission)
    // is that lab's error, never every lab's: the others still load and start.
    const err = e as NodeJS.ErrnoException;
    const where = err.path ? relative(join(labsDir, name), err.path) || '.' : '';
    return {
      ok: false,
      id: name,
      error: new SpecError(join(labsDir, name, 'lab.yaml'), [
        { field: where, message: `${err.code ?? 'error'}: the lab folder cannot be read there (${err.syscall ?? 'read'} failed); fix or remove it` },
      ]),
    };
  }
}

/** Loads every lab under labsDir. A broken lab is reported on its own; the others still load. */
export function loadLabs(labsDir: string): LabLoadResult[] {
  return labFolders(labsDir).map((name) => loadLabResult(labsDir, name));
}
