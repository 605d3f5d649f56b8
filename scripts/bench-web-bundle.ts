// The lesson page's initial JavaScript: what Chromium fetches to show /en/hello-ebpf before any
// lab is up (labd is deliberately absent, so the lab panel never asks for the terminal or editor).
// Asserts that neither xterm nor Monaco is in it, and that both really are loaded lazily.
// usage: node --import tsx scripts/bench-web-bundle.ts   (builds apps/web first if needed)
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../apps/web/e2e/browser.ts';
import { startWeb, webDir } from '../apps/web/e2e/harness.ts';

// Strings only the real libraries contain (checked below against the libraries themselves).
const XTERM_MARK = 'xterm-helper-textarea';
const MONACO_MARK = 'monaco-editor-background';

const web = await startWeb({ ELAB_LABD_URL: 'http://127.0.0.1:9', ELAB_SERVICE_TOKEN: 'x'.repeat(43) });
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  const scripts = new Map<string, string>();
  page.on('response', async (res) => {
    if (res.request().resourceType() !== 'script') return;
    scripts.set(new URL(res.url()).pathname, await res.text().catch(() => ''));
  });
  await page.goto(`${web.url}/en/hello-ebpf`, { waitUntil: 'networkidle' });
  await page.getByTestId('lab-error').waitFor({ timeout: 10_000 }); // the panel gave up: nothing lazy was asked for

  let raw = 0,
    gz = 0;
  const rows = [...scripts].map(([path, text]) => {
    const z = gzipSync(text).length;
    raw += text.length;
    gz += z;
    return `  ${(text.length / 1024).toFixed(1).padStart(7)} KiB ${(z / 1024).toFixed(1).padStart(6)} KiB gz  ${path}`;
  });
  console.log(`lesson page initial JS: ${scripts.size} files, ${(raw / 1024).toFixed(0)} KiB (${(gz / 1024).toFixed(0)} KiB gzip)`);
  console.log(rows.join('\n'));
  for (const [path, text] of scripts) {
    assert.ok(!text.includes(XTERM_MARK), `xterm is in the initial JS (${path})`);
    assert.ok(!text.includes(MONACO_MARK) && !path.startsWith('/monaco/'), `Monaco is in the initial JS (${path})`);
  }

  // The marks are real: xterm's chunk carries its mark and is fetched only when a terminal mounts;
  // Monaco is not a chunk at all but our copy under /monaco/vs.
  const chunks = join(webDir, '.next/static/chunks');
  const lazyXterm = readdirSync(chunks).filter((f) => f.endsWith('.js') && readFileSync(join(chunks, f), 'utf8').includes(XTERM_MARK));
  assert.ok(lazyXterm.length > 0, 'some built chunk holds xterm');
  assert.ok(readFileSync(join(webDir, 'public/monaco/vs/editor/editor.main.css'), 'utf8').includes(MONACO_MARK), 'Monaco is served from /monaco/vs');
  console.log(`ok: no xterm (lazy chunk: ${lazyXterm.join(', ')}) and no Monaco (served from /monaco/vs on demand) in the initial JS`);
} finally {
  await browser.close();
  await web.stop();
}
