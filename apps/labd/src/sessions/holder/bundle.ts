import { renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { config } from '../../config.ts';

/**
 * The holder program as one plain-JS file. One holder runs per open terminal, so it must be
 * small: run through tsx it took ~48 MB of private memory and ~0.45 s to start; bundled it is a
 * plain Node program (~8 MB, a fraction of the start-up) while still sharing the Recorder and the
 * protocol with labd. Built once per labd process (~0.1 s) into `dir`; node-pty stays outside the
 * bundle (a native module) and is loaded by its absolute path, so the file works from anywhere.
 */
let built: Promise<string> | undefined;

export function holderProgram(dir: string): Promise<string> {
  return (built ??= (async () => {
    const ptyPath = createRequire(import.meta.url).resolve('node-pty');
    const out = await build({
      // From the repository root, not this file: labd may run from its bundle in apps/labd/dist.
      entryPoints: [join(config().repoRoot, 'apps/labd/src/sessions/holder/holder-entry.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      plugins: [
        {
          name: 'node-pty-by-path',
          setup(b) {
            b.onResolve({ filter: /^node-pty$/ }, () => ({ path: ptyPath, external: true }));
          },
        },
      ],
    });
    const file = join(dir, 'pty-holder.mjs');
    writeFileSync(`${file}.tmp`, out.outputFiles[0]!.contents, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    return file;
  })().catch((e: Error) => {
    built = undefined; // let the next terminal try again
    throw new Error(`could not build the terminal holder program: ${e.message}`);
  }));
}
