import { join } from 'node:path';
import { loadLab, SpecError } from '@ebpf-lab/lab-spec';
import { displayPath } from './lessons';
import { contentPaths } from './paths';

/** `editor`: the file the lesson's editor opens (lab.yaml `editor.open`), per lab and per step. */
export interface LabSummary { id: string; title: string; drivers: string[]; editor?: string; steps: { id: string; title: string; hint?: string; editor?: string }[] }

/** The parts of labs/<id>/lab.yaml a lesson page shows: drivers (for the picker), step titles and hints, the editor's file. */
export function labSummary(labId: string): { ok: true; lab: LabSummary } | { ok: false; error: SpecError } {
  try {
    const lab = loadLab(join(contentPaths().labsDir, labId));
    return {
      ok: true,
      lab: {
        id: lab.spec.id, title: lab.spec.title, drivers: lab.spec.drivers, ...(lab.spec.editor ? { editor: lab.spec.editor.open } : {}),
        steps: lab.steps.map((s) => ({ id: s.id, title: s.title, hint: s.hint?.trim(), ...(s.editor ? { editor: s.editor.open } : {}) })),
      },
    };
  } catch (e) {
    if (e instanceof SpecError) return { ok: false, error: new SpecError(displayPath(e.file), e.issues) };
    throw e;
  }
}

/** A lesson that names a lab or steps the lab does not have is an error in the lesson's file. */
export function checkLessonLab(file: string, labId: string, steps: string[] | undefined): { lab?: LabSummary; error?: SpecError } {
  const found = labSummary(labId);
  if (!found.ok) {
    const missing = found.error.issues.some((i) => i.message.startsWith('missing'));
    return { error: missing ? new SpecError(file, [{ field: 'lab', message: `no lab "${labId}" (labs/${labId}/lab.yaml)` }]) : found.error };
  }
  const known = new Set(found.lab.steps.map((s) => s.id));
  const bad = (steps ?? []).map((s, i) => ({ s, i })).filter(({ s }) => !known.has(s));
  if (bad.length) {
    return { error: new SpecError(file, bad.map(({ s, i }) => ({ field: `steps.${i}`, message: `lab "${labId}" has no step "${s}" (it has ${[...known].join(', ')})` }))) };
  }
  return { lab: found.lab };
}
