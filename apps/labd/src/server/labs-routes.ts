import { dirname, relative } from 'node:path';
import type { LabLoadResult } from '@ebpf-lab/lab-spec';
import type { LabCatalog } from '../lab-catalog.ts';
import type { Store } from '../store/store.ts';
import type { LabListing } from '@ebpf-lab/api';
import { guards } from '../http/auth.ts';
import { reply } from '../http/contract.ts';
import type { Router } from '../http/http.ts';

export function labListing(r: LabLoadResult, labsDir: string): LabListing {
  if (!r.ok) {
    // Relative to the labs folder's parent ("labs/xdp/lab.yaml"): the web shows it to authors.
    return { id: r.id, ok: false, error: { file: relative(dirname(labsDir), r.error.file), issues: r.error.issues } };
  }
  const { spec, steps } = r.lab;
  return {
    id: spec.id,
    ok: true,
    title: spec.title,
    drivers: spec.drivers,
    ...(spec.editor ? { editor: spec.editor.open } : {}),
    // The file the lesson's editor opens (lab.yaml `editor.open`), per lab and per step.
    steps: steps.map((s) => ({ id: s.id, title: s.title, hint: s.hint?.trim(), ...(s.editor ? { editor: s.editor.open } : {}) })),
  };
}

/**
 * GET /v1/labs: the labs this labd serves, from its catalog (so always what labd would start). The
 * web renders lesson pages and the class room from it instead of reading labs/ itself.
 */
export function addLabsRoutes(router: Router, store: Store, catalog: LabCatalog): void {
  const auth = guards(store);
  router.add('GET', '/v1/labs', auth.service, async ({ res }) => {
    reply(res, 'GET /v1/labs', { labs: catalog.list().map((r) => labListing(r, catalog.labsDir)) });
  });
}
