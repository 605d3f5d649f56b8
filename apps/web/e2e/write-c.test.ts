// The write-c lesson's verifier exercise as a learner does it, in Chromium against the real labd
// and a real netns lab: open the shipped execcount in the editor, Build & load, see the verifier's
// marker on the unguarded add, fix it, load it, start it in the terminal, and pass the step's check.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { repoRoot, screenshotDir } from './harness';
import { waitForScreen } from './terminal-screen';
import { browserStack } from './support/stack';

const isRoot = process.getuid?.() === 0;
const FILE = 'bpf/execcount/execcount.bpf.c';
const FIRST_STEP_FILE = 'bpf/execsnoop/execsnoop.bpf.c';
const ADD = '\t__sync_fetch_and_add(count, 1);';

interface Built {
  stage: string;
  markers: { line: number; message: string }[];
}

async function buildAndMarkers(page: Page, n: number): Promise<Built> {
  await page.getByTestId('editor-build').click();
  const result = page.locator(`[data-testid=build-result][data-build="${n}"]`);
  await result.waitFor({ timeout: 120_000 });
  const markers = await page.evaluate(() => {
    const monaco = (window as unknown as { monaco: typeof import('monaco-editor') }).monaco;
    return monaco.editor.getModelMarkers({ owner: 'labd' }).map((m) => ({ line: m.startLineNumber, message: m.message }));
  });
  return { stage: (await result.getAttribute('data-stage')) ?? '', markers };
}

describe('write-c: fix what the verifier rejects, in the browser', { skip: !isRoot && 'needs root: labd makes network namespaces' }, () => {
  const fx = browserStack();

  it('the marker sits on the unguarded add; with a NULL check it loads, runs and the check passes', async () => {
    await fx.page.goto(`${fx.web.url}/en/write-c`);
    await fx.page.locator('[data-testid=lab-panel][data-lab-state=ready]').waitFor({ timeout: 90_000 });
    await fx.page.getByTestId('tab-editor').click();
    // The editor opens what the first step (field) edits, as write-c's lab.yaml says: execsnoop's BPF C.
    await fx.page.locator(`.editor-host[data-open-path="${FIRST_STEP_FILE}"]`).waitFor({ timeout: 60_000 });
    await fx.page.locator('.monaco-editor .view-lines').filter({ hasText: 'bpf_ringbuf_reserve(&events,' }).waitFor({ timeout: 30_000 });
    assert.equal(await fx.page.getByTestId('editor-path').inputValue(), FIRST_STEP_FILE, 'the path box names it');
    const shown = await fx.page.evaluate(() =>
      (window as unknown as { monaco: typeof import('monaco-editor') }).monaco.editor.getEditors()[0]!.getModel()!.getValue(),
    );
    assert.equal(shown, readFileSync(join(repoRoot, FIRST_STEP_FILE), 'utf8'), 'the editor holds that file, as shipped');
    // The verifier step's file is the other one; the learner opens it by name.
    await fx.page.getByTestId('editor-path').fill(FILE);
    await fx.page.getByTestId('editor-path').press('Enter');
    await fx.page
      .locator(`.editor-host[data-open-path="${FILE}"]`)
      .waitFor({ timeout: 60_000 })
      .catch(async (e: Error) => {
        throw new Error(
          `${e.message}\neditor status: ${await fx.page
            .getByTestId('editor-status')
            .innerText()
            .catch(() => '?')}`,
        );
      });
    const source = await fx.page.evaluate(() =>
      (window as unknown as { monaco: typeof import('monaco-editor') }).monaco.editor.getEditors()[0]!.getModel()!.getValue(),
    );
    const addLine = source.split('\n').indexOf(ADD) + 1;
    assert.ok(addLine > 0, `${FILE} as shipped has the unguarded add`);

    const rejected = await buildAndMarkers(fx.page, 1);
    assert.equal(rejected.stage, 'load', 'it compiles; the kernel refuses it');
    assert.ok(
      rejected.markers.some((m) => m.line === addLine && /map_value_or_null/.test(m.message)),
      `a verifier marker on line ${addLine}: ${JSON.stringify(rejected.markers)}`,
    );
    await fx.page.screenshot({ path: join(screenshotDir, 'write-c-verifier-marker.png') });

    const fixed = source.replace(ADD, `\tif (!count)\n\t\treturn 0;\n${ADD}`);
    await fx.page.evaluate(
      (t) => (window as unknown as { monaco: typeof import('monaco-editor') }).monaco.editor.getEditors()[0]!.getModel()!.setValue(t),
      fixed,
    );
    const loaded = await buildAndMarkers(fx.page, 2);
    assert.equal(loaded.stage, 'done', `the fixed program loads: ${JSON.stringify(loaded.markers)}`);
    assert.deepEqual(
      loaded.markers.filter((m) => /verifier/.test(m.message)),
      [],
      'no verifier marker is left',
    );

    await fx.page.getByTestId('tab-lab').click();
    await fx.page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 60_000 });
    await waitForScreen(fx.page, /[#$][\s\u00a0]*$/m);
    await fx.page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
    await fx.page.keyboard.type('./bpf/.output/execcount > execcount.log 2>&1 & sleep 1; head -1 execcount.log | cut -c1-30; echo STARTED-$((6*7))\n');
    await waitForScreen(fx.page, /^STARTED-42\s*$/m, { timeoutMs: 60_000 });
    const check = fx.page.getByTestId('check-verifier');
    await check.getByRole('button').click();
    await fx.page
      .locator('[data-testid=check-verifier][data-status=pass]')
      .waitFor({ timeout: 60_000 })
      .catch(async (e: Error) => {
        throw new Error(`${e.message}\ncheck said: ${await check.innerText().catch(() => '?')}`);
      });
  });
});
