// A learner's whole path through the hello-ebpf lesson, in Chromium, against the real labd, the
// real web server and a real netns lab (needs root). Screenshots: e2e/screenshots/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { repoRoot, screenshotDir } from './harness';
import { screenText, waitForScreen } from './terminal-screen';
import { browserStack } from './support/stack';

const isRoot = process.getuid?.() === 0;
const LESSON = '/en/hello-ebpf';
const source = readFileSync(join(repoRoot, 'bpf/hello/hello.bpf.c'), 'utf8');

const term = (page: Page) => page.locator('[data-testid=terminal-lab]');
const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshotDir, `${name}.png`) });

async function typeInTerminal(page: Page, text: string): Promise<void> {
  await term(page).locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(text);
}

async function waitForTerminalOpen(page: Page): Promise<void> {
  await page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 60_000 });
  await waitForScreen(page, /[#$][\s\u00a0]*$/m);
}

/** Replaces the editor's text the way a paste would, through Monaco's own model. */
async function setEditorText(page: Page, text: string): Promise<void> {
  await page.evaluate((t) => {
    const monaco = (window as unknown as { monaco: typeof import('monaco-editor') }).monaco;
    monaco.editor.getEditors()[0]!.getModel()!.setValue(t);
  }, text);
}

async function buildAndMarkers(page: Page): Promise<{ stage: string; markers: { line: number; message: string }[] }> {
  const before = Number(
    (await page
      .getByTestId('build-result')
      .getAttribute('data-build', { timeout: 100 })
      .catch(() => null)) ?? 0,
  );
  await page.getByTestId('editor-build').click();
  const result = page.locator(`[data-testid=build-result][data-build="${before + 1}"]`);
  await result.waitFor({ timeout: 120_000 });
  const stage = (await result.getAttribute('data-stage')) ?? '';
  const markers = await page.evaluate(() => {
    const monaco = (window as unknown as { monaco: typeof import('monaco-editor') }).monaco;
    return monaco.editor.getModelMarkers({ owner: 'labd' }).map((m) => ({ line: m.startLineNumber, message: m.message }));
  });
  return { stage, markers };
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('hello-ebpf in the browser', { skip: !isRoot && 'needs root: labd makes network namespaces' }, () => {
  const fx = browserStack({
    preparePage: async (page) => {
      // Record every value the progress bar takes, however briefly it shows.
      await page.addInitScript(() => {
        const w = window as unknown as { __progress: string[] };
        w.__progress = [];
        new MutationObserver(() => {
          for (const el of document.querySelectorAll('[role=progressbar]')) {
            const v = el.getAttribute('aria-valuenow') ?? '';
            if (w.__progress.at(-1) !== v) w.__progress.push(v);
          }
        }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
      });
    },
  });

  it('while the lab comes up the progress bar only moves forward within 0–100, then a shell computes 6*7', async () => {
    await fx.page.goto(`${fx.web.url}${LESSON}`, { waitUntil: 'commit' });
    await fx.page.getByTestId('lab-panel').waitFor({ timeout: 30_000 });
    await shot(fx.page, '01-lab-starting');
    await waitForTerminalOpen(fx.page);
    // A fast machine may never show the bar (or any value between 0 and 100): only what holds
    // however fast the lab starts is asserted: every value shown is a percentage, in order.
    const seen = (await fx.page.evaluate(() => (window as unknown as { __progress: string[] }).__progress)).map(Number);
    for (const v of seen) assert.ok(Number.isFinite(v) && v >= 0 && v <= 100, `a percentage, saw [${seen.join(', ')}]`);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      `the bar never went back, saw [${seen.join(', ')}]`,
    );
    await typeInTerminal(fx.page, 'echo $((6*7))\n');
    await waitForScreen(fx.page, /^42\s*$/m);
    await shot(fx.page, '02-terminal-42');
    // The handoff is on by default (lib/labd/handoff.ts): labd itself serves a browser connection to the web's port.
    const served = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${fx.webPort} )`], { encoding: 'utf8' });
    assert.match(served, new RegExp(`pid=${fx.labd.proc.pid},`), `labd holds the terminal's connection to the web:\n${served}`);
  });

  it('a Run block types itself into the terminal and runs', async () => {
    await fx.page.getByTestId('run-block').first().getByRole('button').click();
    await waitForScreen(fx.page, new RegExp(`^${release().replace(/\./g, '\\.')}\\s*$`, 'm'));
    await shot(fx.page, '03-run-block');
  });

  it('Check fails with expected and actual before the step is done, passes after', async () => {
    const check = fx.page.getByTestId('check-bpftrace');
    await check.scrollIntoViewIfNeeded();
    await check.getByRole('button').click();
    await fx.page.locator('[data-testid=check-bpftrace][data-status=fail]').waitFor({ timeout: 60_000 });
    assert.equal(await check.getByTestId('verdict').innerText(), '✗ not yet', 'the learner reads the verdict');
    assert.match(await check.getByTestId('expected').innerText(), /sys_enter_execve/);
    assert.ok((await check.getByTestId('actual').innerText()).length > 0);
    await shot(fx.page, '04-check-fail');

    // What labs/hello-ebpf/steps/bpftrace/solve.sh does, typed by a person.
    await typeInTerminal(
      fx.page,
      'cat > trace-execve.bt <<\'BT\'\ntracepoint:syscalls:sys_enter_execve\n{\n  printf("%-7d %-16s %s\\n", pid, comm, str(args->filename));\n}\nBT\n',
    );
    await typeInTerminal(fx.page, 'bpftrace trace-execve.bt > trace-execve.log 2>&1 & bt=$!\n');
    await typeInTerminal(
      fx.page,
      'for i in $(seq 100); do bpftool -j perf show | grep -q "\\"pid\\":$bt,.*sys_enter_execve" && break; sleep 0.1; done; echo ATTACHED-$((40+2))\n',
    );
    await waitForScreen(fx.page, /^ATTACHED-42\s*$/m, { timeoutMs: 30_000 });
    await check.getByRole('button').click();
    await fx.page.locator('[data-testid=check-bpftrace][data-status=pass]').waitFor({ timeout: 60_000 });
    assert.equal(await check.getByTestId('verdict').innerText(), '✓ pass', 'the learner reads the verdict');
    await shot(fx.page, '05-check-pass');
  });

  it('a reload reattaches to the same shell with its scrollback', async () => {
    await typeInTerminal(fx.page, 'echo SHELL-PID=$$\n');
    const pid = (await waitForScreen(fx.page, /^SHELL-PID=(\d+)\s*$/m))[1];
    await fx.page.reload();
    await waitForTerminalOpen(fx.page);
    await waitForScreen(fx.page, new RegExp(`^SHELL-PID=${pid}\\s*$`, 'm')); // replayed, not retyped
    await typeInTerminal(fx.page, 'echo AFTER-RELOAD=$$\n');
    const again = (await waitForScreen(fx.page, /^AFTER-RELOAD=(\d+)\s*$/m))[1];
    assert.equal(again, pid, 'same shell process after the reload');
    await shot(fx.page, '06-reattached');
  });

  it('a web restart leaves the open terminal alone: labd serves its socket', async () => {
    await typeInTerminal(fx.page, 'echo BEFORE-WEB-STOP=$$\n');
    await waitForScreen(fx.page, /^BEFORE-WEB-STOP=\d+\s*$/m);
    await fx.web.stop(); // the handoff took the browser's socket out of the web: nothing to drop
    await typeInTerminal(fx.page, 'echo WEB-DOWN-$((40+2))\n');
    await waitForScreen(fx.page, /^WEB-DOWN-42\s*$/m);
    assert.equal(await term(fx.page).getAttribute('data-status'), 'open');
    await fx.startWeb();
  });

  it('a dropped connection shows reconnecting… and reattaches on its own', async () => {
    await typeInTerminal(fx.page, 'echo BEFORE-DROP=$$\n');
    const pid = (await waitForScreen(fx.page, /^BEFORE-DROP=(\d+)\s*$/m))[1];
    const port = Number(new URL(fx.labd.url).port);
    await fx.labd.stop(); // labd closes every terminal socket (1001) on its way out
    await fx.page.locator('[data-testid=terminal-status]', { hasText: 'reconnecting' }).waitFor({ timeout: 30_000 });
    await shot(fx.page, '07-reconnecting');
    await fx.startLabd(port); // where the web looks for it
    await fx.page
      .locator('[data-testid=terminal-lab][data-status=open]')
      .waitFor({ timeout: 60_000 })
      .catch(async (e: Error) => {
        const status = await term(fx.page).getAttribute('data-status');
        const text = await fx.page
          .getByTestId('terminal-status')
          .innerText()
          .catch(() => '');
        throw new Error(`${e.message}\nterminal status: ${status} ${text}\nweb:\n${fx.web.output().slice(-1500)}\nlabd:\n${fx.labd.output().slice(-1500)}`);
      });
    await typeInTerminal(fx.page, 'echo AFTER-DROP=$$\n');
    assert.equal((await waitForScreen(fx.page, /^AFTER-DROP=(\d+)\s*$/m))[1], pid, 'the same shell, reattached without a reload');
  });

  it('the editor marks a clang error and a verifier rejection on their lines', async () => {
    await fx.page.getByTestId('tab-editor').click();
    await fx.page.locator('.editor-host[data-open-path="bpf/hello/hello.bpf.c"]').waitFor({ timeout: 60_000 });
    await fx.page.locator('.monaco-editor .view-lines').waitFor();

    const stmt = 'count = bpf_map_lookup_elem(&exec_count, &uid);';
    const broken = source.replace(stmt, stmt.slice(0, -1));
    await setEditorText(fx.page, broken);
    const syntax = await buildAndMarkers(fx.page);
    assert.equal(syntax.stage, 'compile');
    const want = lineOf(broken, stmt.slice(0, -1));
    assert.ok(
      syntax.markers.some((m) => m.line === want && /expected ';'/.test(m.message)),
      `a marker on line ${want}: ${JSON.stringify(syntax.markers)}`,
    );
    await shot(fx.page, '08-editor-clang-error');

    const guarded = '\tif (count) {\n\t\t__sync_fetch_and_add(count, 1);\n\t\treturn;\n\t}';
    assert.ok(source.includes(guarded), 'hello.bpf.c still has the guarded lookup this test edits');
    const unchecked = source.replace(guarded, '\t*count += 1;\n\treturn;');
    await setEditorText(fx.page, unchecked);
    const verifier = await buildAndMarkers(fx.page);
    assert.equal(verifier.stage, 'load');
    const deref = lineOf(unchecked, '*count += 1;');
    assert.ok(
      verifier.markers.some((m) => m.line === deref && /verifier/.test(m.message)),
      `a verifier marker on line ${deref}: ${JSON.stringify(verifier.markers)}`,
    );
    await shot(fx.page, '09-editor-verifier');
  });

  it('Reset gives a fresh lab: a new shell, and the step is undone', async () => {
    await fx.page.getByTestId('tab-lab').click();
    // Each lab has its own PID namespace, so $$ may repeat across labs: the instance id tells them apart.
    await typeInTerminal(fx.page, 'echo BEFORE-RESET=$LAB_INSTANCE; touch reset-marker\n');
    const old = (await waitForScreen(fx.page, /^BEFORE-RESET=([a-z0-9]{6})\s*$/m))[1];
    await fx.page.getByTestId('lab-reset').click();
    // hello-ebpf runs on netns and vagrant, so Reset asks where; the lab's driver is preselected.
    await fx.page.getByTestId('driver-submit').click();
    // 'starting' may be over before anyone looks; the event to wait for is the old shell's screen
    // going away (a new lab, a new terminal), then the new shell's prompt.
    for (const end = Date.now() + 90_000; (await screenText(fx.page)).includes(`BEFORE-RESET=${old}`);) {
      assert.ok(Date.now() < end, "the old shell's screen went away after the reset");
      await fx.page.waitForTimeout(200);
    }
    await waitForTerminalOpen(fx.page);
    await typeInTerminal(fx.page, 'echo AFTER-RESET=$LAB_INSTANCE; ls reset-marker\n');
    assert.notEqual((await waitForScreen(fx.page, /^AFTER-RESET=([a-z0-9]{6})\s*$/m))[1], old, 'a new shell in the new lab');
    await waitForScreen(fx.page, /reset-marker.*No such file/, { timeoutMs: 30_000 });
    const check = fx.page.getByTestId('check-bpftrace');
    await check.getByRole('button').click();
    await fx.page.locator('[data-testid=check-bpftrace][data-status=fail]').waitFor({ timeout: 60_000 });
    assert.equal(await check.getByTestId('verdict').innerText(), '✗ not yet', 'the step is undone, as the learner reads it');
    await shot(fx.page, '10-after-reset');
  });
});
