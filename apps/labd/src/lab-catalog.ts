import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labFolders, loadLabResult, type LabLoadResult, type LoadedLab } from '@ebpf-lab/lab-spec';
import { LabError, usageError } from './errors.ts';

/**
 * Every lab under one labs/ folder, loaded once and reloaded lab by lab when its files change.
 *
 * Why mtimes and not fs.watch: a watch needs a descriptor per folder, misses edits on some
 * filesystems (bind mounts, NFS) and fires several times per editor save; a handful of stats is
 * cheap (~0.1 ms for all labs) and is done at most once per `recheckMs`, so a burst of calls
 * (a roster tick for every learner) costs one check.
 */
export interface CatalogOptions { recheckMs?: number }

interface Entry { sig: string; result: LabLoadResult }

const DEFAULT_RECHECK_MS = 500;

/** What loadLab reads, as "mtime:size" per path: a change to any of them changes the signature. */
function signature(dir: string): string {
  const parts: string[] = [];
  const stamp = (p: string) => {
    try { const s = statSync(p); parts.push(`${s.mtimeMs}:${s.size}`); } catch { parts.push('-'); }
  };
  // The lab folder's own mtime covers setup.sh/files/ appearing or going; steps/<id>/ covers
  // check/solve/grade scripts coming and going; hint.md and the variant folders are read.
  stamp(dir);
  stamp(join(dir, 'lab.yaml'));
  // lab.yaml `lib:` files must exist in the lab library beside the labs: one coming or going
  // changes that folder's mtime.
  stamp(join(dir, '..', '_lib'));
  const steps = join(dir, 'steps');
  stamp(steps);
  let ids: string[] = [];
  try { ids = readdirSync(steps).sort(); } catch { /* no steps folder: lab.yaml's error says so */ }
  for (const id of ids) {
    for (const p of ['', 'hint.md', 'wrong', 'alt']) stamp(join(steps, id, p));
  }
  return parts.join(' ');
}

export class LabCatalog {
  private readonly entries = new Map<string, Entry>();
  private checkedAt = -Infinity;
  private readonly recheckMs: number;

  constructor(readonly labsDir: string, opts: CatalogOptions = {}) {
    this.recheckMs = opts.recheckMs ?? DEFAULT_RECHECK_MS;
  }

  /** Every lab folder in name order; a broken one is listed with its error, the others still load. */
  list(): LabLoadResult[] {
    this.refresh();
    return [...this.entries.values()].map((e) => e.result);
  }

  /** A lab by id; unknown or broken gives a LabError naming the labs there are or the bad file and field. */
  find(id: string): LoadedLab {
    const all = this.list();
    const hit = all.find((r) => (r.ok ? r.lab.spec.id : r.id) === id);
    if (!hit) {
      const names = all.map((r) => (r.ok ? r.lab.spec.id : `${r.id} (broken)`)).join(', ');
      throw usageError(`unknown lab "${id}"`, `labs in ${this.labsDir}: ${names || 'none'}`);
    }
    if (!hit.ok) throw new LabError(`lab "${id}" cannot be loaded: ${hit.error.message}`, 'fix the file and field named above', 2);
    return hit.lab;
  }

  /** Reloads the labs whose files changed since the last look (and only those). */
  refresh(force = false): void {
    const now = performance.now();
    if (!force && now - this.checkedAt < this.recheckMs) return;
    this.checkedAt = now;
    const names = labFolders(this.labsDir);
    const next = new Map<string, Entry>();
    for (const name of names) {
      const dir = join(this.labsDir, name);
      const sig = signature(dir);
      const old = this.entries.get(name);
      next.set(name, old && old.sig === sig ? old : { sig, result: loadLabResult(this.labsDir, name) });
    }
    this.entries.clear();
    for (const [k, v] of next) this.entries.set(k, v);
  }
}
