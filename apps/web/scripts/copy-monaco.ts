// Monaco is served from our own origin (labs may be offline): copy its AMD build into public/.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
// The package's "exports" hides package.json, so look for it the way Node's resolver walks up.
function findPackage(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (npm ci)`);
  }
}
const pkgJson = findPackage('monaco-editor', web);
const version = JSON.parse(readFileSync(pkgJson, 'utf8')).version as string;
const dest = join(web, 'public/monaco');
const stamp = join(dest, 'VERSION');

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === version) {
  console.log(`monaco-editor ${version}: already in public/monaco`);
} else {
  rmSync(dest, { recursive: true, force: true });
  cpSync(join(dirname(pkgJson), 'min/vs'), join(dest, 'vs'), { recursive: true });
  writeFileSync(stamp, version);
  console.log(`monaco-editor ${version}: copied min/vs to public/monaco/vs`);
}
