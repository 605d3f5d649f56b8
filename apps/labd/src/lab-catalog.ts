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
export interface CatalogOptions {
  recheckMs?: number;
}

interface Entry {
  sig: string;
  result: LabLoadResult;
}

const DEFAULT_RECHECK_MS = 500;

/** What loadLab reads, as "mtime:size" per path: a change to any of them changes the signature. */
function signature(dir: string): string {
  const parts: string[] = [];
  const stamp = (p: string) => {
    try {
      const s = statSync(p);
      parts.push(`${s.mtimeMs}:${s.size}`);
    } catch {
      parts.push('-');
    }
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
  try {
    ids = readdirSync(steps).sort();
  } catch {
    /* no steps folder: lab.yaml's error says so */
  }
  for (const id of ids) {
    for (const p of ['', 'hint.md', 'wrong', 'alt']) stamp(join(steps, id, p));
  }
  return parts.join(' ');
}

export class LabCatalog {
  private readonly entries = new Map<string, Entry>();
  private checkedAt = -Infinity;
  private readonly checkedOne = new Map<string, number>();
  private readonly recheckMs: number;

  constructor(
    readonly labsDir: string,
    opts: CatalogOptions = {},
  ) {
    this.recheckMs = opts.recheckMs ?? DEFAULT_RECHECK_MS;
  }

  /** Every lab folder in name order; a broken one is listed with its error, the others still load. */
  list(): LabLoadResult[] {
    this.refresh();
    return [...this.entries.values()].map((e) => e.result);
  }

  /** A lab by id; unknown or broken gives a LabError naming the labs there are or the bad file and field. */
  find(id: string): LoadedLab {
    // A lab's folder is named by its id (loadLab insists), so one lab is one folder to look at: a
    // `lab up` reads one lab.yaml, not every lab's (~40 ms of YAML and schema work per start).
    const hit = this.refreshOne(id) ?? this.list().find((r) => (r.ok ? r.lab.spec.id : r.id) === id);
    if (!hit) {
      const names = this.list()
        .map((r) => (r.ok ? r.lab.spec.id : `${r.id} (broken)`))
        .join(', ');
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
      next.set(name, this.load(name));
    }
    this.entries.clear();
    for (const [k, v] of next) this.entries.set(k, v);
  }

  /** The entry of one lab folder, reloaded only when its files' signature changed. */
  private load(name: string): Entry {
    const sig = signature(join(this.labsDir, name));
    const old = this.entries.get(name);
    return old && old.sig === sig ? old : { sig, result: loadLabResult(this.labsDir, name) };
  }

  /** Like refresh, for the one folder `name` (recheckMs applies to it too); undefined when no such lab folder. */
  private refreshOne(name: string): LabLoadResult | undefined {
    if (!name || /^[_.]|\//.test(name)) return undefined;
    const now = performance.now();
    const known = this.entries.get(name);
    if (known && now - Math.max(this.checkedAt, this.checkedOne.get(name) ?? -Infinity) < this.recheckMs) return known.result;
    try {
      if (!statSync(join(this.labsDir, name)).isDirectory()) return undefined;
    } catch {
      return undefined;
    }
    const entry = this.load(name);
    this.entries.set(name, entry);
    this.checkedOne.set(name, now);
    return entry.result;
  }
}
