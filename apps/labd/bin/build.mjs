// Builds the `lab` CLI and labd into plain JavaScript (apps/labd/dist/), so a start does not
// compile ~100 TypeScript files through tsx first (~0.7 s of every `lab` command). Run by npm's
// postinstall and scripts/setup.sh; `node apps/labd/bin/build.mjs` by hand after editing sources
// (until then bin/lab.mjs sees the sources changed and runs them through tsx instead).
//
// dist/manifest.json names every source file that went into the bundle (and the tsconfig files,
// the packages' package.json, package-lock.json and this script), a hash of their contents and a
// stat stamp of each, both taken before esbuild read them: the launcher (bin/launch.mjs) compares the
// stamps at start and, when one differs, recomputes the hash, so the build is used only when it is
// exactly the code on disk.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { configInputs, DIST, hashInputs, REPO, stampInputs } from './build-manifest.mjs';
import { buildPidfdAddon } from '../native/build.mjs';

const EXTERNAL = ['better-sqlite3', 'node-pty', 'esbuild', 'tsx', 'tsx/*', '@kubernetes/client-node'];
const SRC = join(dirname(fileURLToPath(import.meta.url)), '../src');

// zod's `z` namespace carries every translation of its error messages (`z.locales`, ~40 languages,
// ~40% of the zod code a start must parse: every `lab` command parses its Config with zod). labd
// and its packages only ever use the English messages zod sets by default, so the bundle's
// `locales` holds English alone.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (a) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(a.importer) ? { path: join(dirname(a.importer), '../locales/index.js'), namespace: 'zod-en' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (a) => ({
      contents: "export { default as en } from './en.js';\n",
      resolveDir: dirname(a.path),
      loader: 'js',
    }));
  },
};

/** Every file a build may read besides node_modules: the last build's inputs and the source trees. */
function candidates(repo, dist, entryPoints) {
  const out = new Set(configInputs(repo));
  try {
    for (const p of JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8')).inputs) out.add(p);
  } catch {
    /* first build */
  }
  const walk = (rel) => {
    let entries = [];
    try {
      entries = readdirSync(join(repo, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.')) walk(`${rel}/${e.name}`);
      else if (e.isFile() && /\.(ts|tsx|mts|js|mjs|json)$/.test(e.name)) out.add(`${rel}/${e.name}`);
    }
  };
  for (const e of new Set(Object.values(entryPoints).map((f) => relative(repo, dirname(f)) || '.'))) walk(e);
  for (const d of (() => {
    try {
      return readdirSync(join(repo, 'packages'));
    } catch {
      return [];
    }
  })())
    walk(`packages/${d}/src`);
  return [...out].filter((p) => existsSync(join(repo, p)));
}

/**
 * Builds into `dist` and writes its manifest. The stamps and bytes of every input are taken BEFORE
 * esbuild reads them and compared after: a file saved while the bundle was being made (editor
 * autosave, a git checkout during postinstall) would otherwise be recorded as built while the bundle
 * holds its old code. Then the build runs again; after `attempts` it gives up and leaves dist as it
 * was. `afterBundle` (tests) runs between bundling and that comparison.
 */
export async function buildLabd({
  repo = REPO,
  dist = DIST,
  entryPoints = { cli: join(SRC, 'cli.ts'), labd: join(SRC, 'labd.ts') },
  attempts = 3,
  afterBundle,
} = {}) {
  const tmp = `${dist}.tmp-${process.pid}`; // beside dist: rename needs one filesystem
  let why = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    // Stamps first, then the bytes: a write in between moves a stamp and is caught below.
    const before = candidates(repo, dist, entryPoints);
    const stamped = stampInputs(before, repo);
    const stampBefore = new Map(before.map((p, i) => [p, stamped[i]]));
    const bytes = new Map(before.map((p) => [p, readFileSync(join(repo, p))]));
    const result = await build({
      entryPoints,
      absWorkingDir: repo,
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      metafile: true,
      logLevel: 'warning',
      sourcemap: 'linked',
      // Less to parse at every start; names stay, so stack traces still read (with the source map).
      minify: true,
      keepNames: true,
      define: { __ELAB_BUILT__: 'true' }, // src/ts-loader.ts: register tsx only when a check needs it
      // Pure-JS packages are bundled too (one file to read instead of hundreds to resolve); native
      // modules, the build tools and the Kubernetes client (kind driver only) load from node_modules.
      external: EXTERNAL,
      plugins: [zodEnglishOnly],
      // Bundled CommonJS packages call require(); give the ES module one.
      banner: { js: "import { createRequire as __elabRequire } from 'node:module'; const require = __elabRequire(import.meta.url);" },
    });
    await afterBundle?.(attempt);
    // Bundled npm packages change only with package-lock.json (a config input): not their files.
    const inputs = [
      ...new Set([
        ...Object.keys(result.metafile.inputs)
          .filter((p) => !p.includes('node_modules/'))
          .map((p) => relative(repo, join(repo, p))),
        ...configInputs(repo),
      ]),
    ].sort();
    const unknown = inputs.find((p) => !stampBefore.has(p));
    let stamps = null;
    try {
      stamps = stampInputs(inputs, repo);
    } catch (e) {
      why = `an input vanished during the build (${e.code ?? e.message})`;
      continue;
    }
    const changed = unknown ? null : inputs.find((p, i) => stamps[i] !== stampBefore.get(p));
    if (unknown) {
      why = `the build read ${unknown}, which was not there before it`;
      continue;
    }
    if (changed) {
      why = `${changed} changed during the build`;
      continue;
    }
    // Stamps from before the read: a write after it fails launch.mjs's fast check, then the hash.
    const manifest = { hash: hashInputs(inputs, repo, (p) => bytes.get(p)), inputs, stamps: inputs.map((p) => stampBefore.get(p)) };
    writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    // Swap in whole: a `lab` starting meanwhile sees the old build or the new one, never half.
    const old = `${dist}.old-${process.pid}`;
    try {
      renameSync(dist, old);
    } catch {
      /* first build */
    }
    renameSync(tmp, dist);
    rmSync(old, { recursive: true, force: true });
    return inputs.length;
  }
  rmSync(tmp, { recursive: true, force: true });
  throw new Error(
    `sources kept changing while building (${attempts} tries; last: ${why}); ${relative(process.cwd(), dist) || dist} is unchanged: build again once they are saved`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  // The terminal handoff's addon (native/pidfd.c): a warning, never a failed build, when it cannot be built.
  const warning = buildPidfdAddon();
  if (warning) process.stderr.write(`labd: warning: ${warning}\n`);
  buildLabd().then(
    (n) => {
      process.stderr.write(`labd: built ${relative(process.cwd(), DIST) || DIST} from ${n} sources in ${Math.round(performance.now() - t0)} ms\n`);
    },
    (e) => {
      process.stderr.write(`labd: build failed: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
