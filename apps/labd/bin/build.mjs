// Builds the `lab` CLI and labd into plain JavaScript (apps/labd/dist/), so a start does not
// compile ~100 TypeScript files through tsx first (~0.7 s of every `lab` command). Run by npm's
// postinstall and scripts/setup.sh; `node apps/labd/bin/build.mjs` by hand after editing sources
// (until then bin/lab.mjs sees the sources changed and runs them through tsx instead).
//
// dist/manifest.json names every source file that went into the bundle, a hash of their contents
// and a stat stamp of each: the launcher (bin/launch.mjs) compares the stamps at start and, when
// one differs, recomputes the hash, so the build is used only when it is exactly the code on disk.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DIST, hashInputs, REPO, stampInputs } from './build-manifest.mjs';

const EXTERNAL = ['better-sqlite3', 'node-pty', 'esbuild', 'tsx', 'tsx/*', '@kubernetes/client-node'];
const SRC = join(dirname(fileURLToPath(import.meta.url)), '../src');

// zod's `z` namespace carries every translation of its error messages (`z.locales`, ~40 languages,
// ~40% of the zod code a start must parse: every `lab` command parses its Config with zod). labd
// and its packages only ever use the English messages zod sets by default, so the bundle's
// `locales` holds English alone.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (a) => (/[\\/]node_modules[\\/]zod[\\/]/.test(a.importer) ? { path: join(dirname(a.importer), '../locales/index.js'), namespace: 'zod-en' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (a) => ({ contents: "export { default as en } from './en.js';\n", resolveDir: dirname(a.path), loader: 'js' }));
  },
};

export async function buildLabd() {
  const tmp = `${DIST}.tmp-${process.pid}`; // beside DIST: rename needs one filesystem
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const result = await build({
    entryPoints: { cli: join(SRC, 'cli.ts'), labd: join(SRC, 'labd.ts') },
    outdir: tmp, outExtension: { '.js': '.mjs' },
    bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    metafile: true, logLevel: 'warning', sourcemap: 'linked',
    // Less to parse at every start; names stay, so stack traces still read (with the source map).
    minify: true, keepNames: true,
    define: { __ELAB_BUILT__: 'true' }, // src/ts-loader.ts: register tsx only when a check needs it
    // Pure-JS packages are bundled too (one file to read instead of hundreds to resolve); native
    // modules, the build tools and the Kubernetes client (kind driver only) load from node_modules.
    external: EXTERNAL,
    plugins: [zodEnglishOnly],
    // Bundled CommonJS packages call require(); give the ES module one.
    banner: { js: "import { createRequire as __elabRequire } from 'node:module'; const require = __elabRequire(import.meta.url);" },
  });
  // Bundled npm packages change only with package-lock.json: hash that instead of their files.
  const inputs = [...Object.keys(result.metafile.inputs).map((p) => relative(REPO, join(process.cwd(), p))).filter((p) => !p.includes('node_modules/')), 'package-lock.json'].sort();
  // Stamps first: a source written while the hash is computed then fails the fast check (and is hashed).
  const stamps = stampInputs(inputs);
  writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify({ hash: hashInputs(inputs), inputs, stamps }, null, 1)}\n`);
  // Swap in whole: a `lab` starting meanwhile sees the old build or the new one, never half.
  const old = `${DIST}.old-${process.pid}`;
  try { renameSync(DIST, old); } catch { /* first build */ }
  renameSync(tmp, DIST);
  rmSync(old, { recursive: true, force: true });
  return inputs.length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  buildLabd().then((n) => {
    process.stderr.write(`labd: built ${relative(process.cwd(), DIST) || DIST} from ${n} sources in ${Math.round(performance.now() - t0)} ms\n`);
  }, (e) => {
    process.stderr.write(`labd: build failed: ${e.message}\n`);
    process.exitCode = 1;
  });
}
