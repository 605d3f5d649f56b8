// A labd crash under an open lesson page: the learner's terminal reconnects on its own to the same
// shell (same $$) with its scrollback, because the shell lives in a holder outside labd. Needs root.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshotDir } from './harness';
import { screenText, waitForScreen } from './terminal-screen';
import { browserStack } from './support/stack';

const isRoot = process.getuid?.() === 0;
const term = (page: Page) => page.locator('[data-testid=terminal-lab]');

async function typeInTerminal(page: Page, text: string): Promise<void> {
  await term(page).locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(text);
}

async function waitForOpen(page: Page, why: () => string): Promise<void> {
  await page
    .locator('[data-testid=terminal-lab][data-status=open]')
    .waitFor({ timeout: 60_000 })
    .catch(async (e: Error) => {
      const status = await term(page)
        .getAttribute('data-status')
        .catch(() => null);
      throw new Error(`${e.message}\nterminal status: ${status}\nscreen:\n${await screenText(page)}\n${why()}`);
    });
}

describe('terminals across a labd crash', { skip: !isRoot && 'needs root: labd makes network namespaces' }, () => {
  const fx = browserStack();

  it('kill -9 of labd and a restart: the same page shows the scrollback and the same shell', async () => {
    await fx.page.goto(`${fx.web.url}/en/hello-ebpf`, { waitUntil: 'commit' });
    const logs = () => `web:\n${fx.web.output().slice(-1500)}\nlabd:\n${fx.labd.output().slice(-1500)}`;
    await waitForOpen(fx.page, logs);
    await waitForScreen(fx.page, /[#$][\s\u00a0]*$/m, { timeoutMs: 30_000 });
    await typeInTerminal(fx.page, 'echo BEFORE-CRASH=$$ MARK""ER-$((6*7))\n');
    const pid = (await waitForScreen(fx.page, /^BEFORE-CRASH=(\d+) MARKER-42\s*$/m))[1];

    const port = Number(new URL(fx.labd.url).port);
    fx.labd.proc.kill('SIGKILL');
    await fx.labd.stop();
    await fx.page.locator('[data-testid=terminal-status]', { hasText: 'reconnecting' }).waitFor({ timeout: 20_000 });
    // The client clears the screen before every Replay, so the marker below can only come from the replay.
    await fx.startLabd(port);
    await waitForOpen(fx.page, logs);
    await waitForScreen(fx.page, /^BEFORE-CRASH=\d+ MARKER-42\s*$/m, { timeoutMs: 30_000 });
    await typeInTerminal(fx.page, 'echo AFTER-CRASH=$$\n');
    assert.equal((await waitForScreen(fx.page, /^AFTER-CRASH=(\d+)\s*$/m))[1], pid, 'the same shell after labd came back');
    await fx.page.screenshot({ path: join(screenshotDir, 'terminal-after-labd-crash.png') });

    await fx.page.reload(); // and a fresh page gets the same from the restarted labd
    await waitForOpen(fx.page, logs);
    await waitForScreen(fx.page, /^AFTER-CRASH=\d+\s*$/m, { timeoutMs: 30_000 });
    await typeInTerminal(fx.page, 'echo AFTER-RELOAD=$$\n');
    assert.equal((await waitForScreen(fx.page, /^AFTER-RELOAD=(\d+)\s*$/m))[1], pid);
  });
});
