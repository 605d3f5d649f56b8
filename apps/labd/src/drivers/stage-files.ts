import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LoadedLab } from '@ebpf-lab/lab-spec';
import { config } from '../config.ts';
import { LabError } from '../errors.ts';
import { copyInto } from '../workdir.ts';

/**
 * Puts a lab's starting files into `dest` (a netns workdir, or the seed a VM or box copies in):
 * its `include` paths from the repository at the same relative path, its lab-library files
 * (`lib`) under .lab/, then its files/ folder over both. One function for every driver, so a lab
 * starts with the same files whichever driver runs it.
 */
export function stageLabFiles(lab: LoadedLab, dest: string, exitCode = 1): void {
  for (const inc of lab.spec.include) {
    const src = join(config().repoRoot, inc);
    if (!existsSync(src)) throw new LabError(`${lab.dir}/lab.yaml: include: "${inc}" does not exist in the repository`, undefined, exitCode);
    copyInto(src, join(dest, inc));
  }
  for (const f of lab.libFiles) copyInto(f, join(dest, '.lab', basename(f)));
  if (lab.filesDir) copyInto(lab.filesDir, dest);
}
