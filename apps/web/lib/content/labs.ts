import type { LabListing } from '@ebpf-lab/api';
import { SpecError } from '@ebpf-lab/lab-spec';
import { LabdError, labdJson } from '../labd/client';
import { serviceToken } from '../labd/env';

/** `editor`: the file the lesson's editor opens (lab.yaml `editor.open`), per lab and per step. */
export interface LabSummary {
  id: string;
  title: string;
  drivers: string[];
  editor?: string;
  steps: { id: string; title: string; hint?: string; editor?: string }[];
}

/**
 * The parts of a lab a lesson page shows (drivers for the picker, step titles and hints), as labd
 * serves them: the web never reads labs/ itself, so it shows exactly the labs labd will start.
 */
export async function labSummary(labId: string): Promise<{ ok: true; lab: LabSummary } | { ok: false; error: SpecError } | { ok: false; unavailable: string }> {
  const file = `labs/${labId}/lab.yaml`;
  let labs: LabListing[];
  try {
    labs = (await labdJson('GET /v1/labs', serviceToken())).labs;
  } catch (e) {
    // Not the lesson's fault: the page still shows the lesson, and the lab panel says why no lab.
    const hint = e instanceof LabdError && e.hint ? ` (${e.hint})` : '';
    return { ok: false, unavailable: `${(e as Error).message}${hint}` };
  }
  const hit = labs.find((l) => l.id === labId);
  if (!hit) return { ok: false, error: new SpecError(file, [{ field: '', message: 'missing: labd serves no such lab' }]) };
  if (!hit.ok) return { ok: false, error: new SpecError(hit.error.file, hit.error.issues) };
  const { id, title, drivers, editor, steps } = hit;
  return { ok: true, lab: { id, title, drivers, ...(editor ? { editor } : {}), steps } };
}

/**
 * A lesson that names a lab or steps the lab does not have is an error in the lesson's file;
 * `unavailable` says labd could not be asked (the lesson is fine, its lab cannot start now).
 */
export async function checkLessonLab(
  file: string,
  labId: string,
  steps: string[] | undefined,
): Promise<{ lab?: LabSummary; error?: SpecError; unavailable?: string }> {
  const found = await labSummary(labId);
  if (!found.ok && 'unavailable' in found) return { unavailable: found.unavailable };
  if (!found.ok) {
    const missing = found.error.issues.some((i) => i.message.startsWith('missing'));
    return { error: missing ? new SpecError(file, [{ field: 'lab', message: `no lab "${labId}" (labs/${labId}/lab.yaml)` }]) : found.error };
  }
  const known = new Set(found.lab.steps.map((s) => s.id));
  const bad = (steps ?? []).map((s, i) => ({ s, i })).filter(({ s }) => !known.has(s));
  if (bad.length) {
    return {
      error: new SpecError(
        file,
        bad.map(({ s, i }) => ({ field: `steps.${i}`, message: `lab "${labId}" has no step "${s}" (it has ${[...known].join(', ')})` })),
      ),
    };
  }
  return { lab: found.lab };
}
