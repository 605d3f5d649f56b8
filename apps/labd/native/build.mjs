// Builds pidfd.node (pidfd.c, a 2-function N-API addon) beside this file with the system C compiler.
// Run by apps/labd/bin/build.mjs (so by npm's postinstall, `npm run build:labd` and scripts/setup.sh).
// Without a compiler or Node's headers it warns and leaves no addon: labd then serves terminals
// through the web's splice (sessions/handoff.ts), so a failed build never fails an install.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ADDON = join(HERE, 'pidfd.node');
const SOURCE = join(HERE, 'pidfd.c');

/** Where node_api.h is: beside this node (nvm, tarballs), else Debian's nodejs package. */
function nodeHeaders() {
  const dirs = [join(dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node'];
  return dirs.find((d) => existsSync(join(d, 'node_api.h')));
}

/** Builds the addon when it is missing or older than its source; returns a warning, or null when it is there. */
export function buildPidfdAddon({ source = SOURCE, out = ADDON, cc = process.env.CC || 'cc' } = {}) {
  try {
    if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return null;
  } catch {
    /* rebuild */
  }
  const headers = nodeHeaders();
  const off = 'terminals will use the web splice (one more process hop per keystroke)';
  if (!headers) return `no Node.js headers (node_api.h) found; install them (Debian: apt-get install libnode-dev, or nodejs from NodeSource): ${off}`;
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    execFileSync(cc, ['-shared', '-fPIC', '-O2', '-Wall', `-I${headers}`, '-o', tmp, source], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(tmp, out); // whole or not at all: a labd starting meanwhile never loads half a file
    return null;
  } catch (e) {
    rmSync(tmp, { force: true });
    const why = e.code === 'ENOENT' ? `no C compiler "${cc}" (apt-get install gcc)` : (e.stderr?.toString().trim() || e.message).slice(0, 400);
    return `building ${out} failed: ${why}; ${off}`;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const warning = buildPidfdAddon();
  if (warning) process.stderr.write(`labd: warning: ${warning}\n`);
}
