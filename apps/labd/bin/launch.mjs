// Starts `lab` or labd from the build in apps/labd/dist when it is exactly the sources on disk
// (content hash, bin/build-manifest.mjs), else from the TypeScript sources through tsx, saying so:
// old code never runs silently. ELAB_FROM_SOURCE=1 always runs the sources (no note);
// ELAB_REQUIRE_BUILD=1 refuses to run without a current build (benchmarks use it).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, staleReason } from './build-manifest.mjs';

/** `entry` is `cli` or `labd`; resolves to the entry module's namespace. */
export async function launch(entry) {
  const fromSource = process.env.ELAB_FROM_SOURCE === '1';
  const why = fromSource ? 'ELAB_FROM_SOURCE=1' : staleReason();
  if (!why) return import(pathToFileURL(join(DIST, `${entry}.mjs`)).href);
  const rebuild = 'node apps/labd/bin/build.mjs';
  if (process.env.ELAB_REQUIRE_BUILD === '1') {
    process.stderr.write(`${entry === 'cli' ? 'lab' : 'labd'}: ${why}, and ELAB_REQUIRE_BUILD=1 asks for the build\n  run: ${rebuild}\n`);
    process.exit(1);
  }
  if (!fromSource) process.stderr.write(`${entry === 'cli' ? 'lab' : 'labd'}: ${why}: running the sources through tsx (slower start; to build: ${rebuild})\n`);
  const { register } = await import('tsx/esm/api');
  register();
  return import(`../src/${entry}.ts`);
}
