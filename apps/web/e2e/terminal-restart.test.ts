// A labd crash under an open lesson page: the learner's terminal reconnects on its own to the same
// shell (same $$) with its scrollback, because the shell lives in a holder outside labd. Needs root.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium } from './browser';
import { downLabs, freePort, screenshotDir, startLabd, startWeb, tempStateDir, serviceTokenFile, type Proc } from './harness';
import { screenText, waitForScreen } from './terminal-screen';

const isRoot = process.getuid?.() === 0;
const term = (page: Page) => page.locator('[data-testid=terminal-lab]');

async function typeInTerminal(page: Page, text: string): Promise<void> {
  await term(page).locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(text);
}

async function waitForOpen(page: Page, why: () => string): Promise<void> {
  await page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 60_000 }).catch(async (e: Error) => {
    const status = await term(page).getAttribute('data-status').catch(() => null);
    throw new Error(`${e.message}\nterminal status: ${status}\nscreen:\n${await screenText(page)}\n${why()}`);
  });
}

describe('terminals across a labd crash', { skip: !isRoot && 'needs root: labd makes network namespaces' }, () => {
  let stateDir = '';
  let labd: Proc | undefined;
  let web: Proc | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;
  let origin = '';

  before(async () => {
    stateDir = tempStateDir();
    const webPort = await freePort();
    origin = `http://127.0.0.1:${webPort}`;
    labd = await startLabd(stateDir, origin);
    web = await startWeb({ ELAB_LABD_URL: labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(stateDir) }, webPort);
    browser = await launchChromium();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await web?.stop();
    await labd?.stop();
    if (stateDir) downLabs(stateDir);
  });

  it('kill -9 of labd and a restart: the same page shows the scrollback and the same shell', async () => {
    await page.goto(`${web!.url}/en/hello-ebpf`, { waitUntil: 'commit' });
    const logs = () => `web:\n${web!.output().slice(-1500)}\nlabd:\n${labd!.output().slice(-1500)}`;
    await waitForOpen(page, logs);
    await waitForScreen(page, /[#$][\s\u00a0]*$/m, { timeoutMs: 30_000 });
    await typeInTerminal(page, 'echo BEFORE-CRASH=$$ MARK""ER-$((6*7))\n');
    const pid = (await waitForScreen(page, /^BEFORE-CRASH=(\d+) MARKER-42\s*$/m))[1];

    const port = Number(new URL(labd!.url).port);
    labd!.proc.kill('SIGKILL');
    await labd!.stop();
    await page.locator('[data-testid=terminal-status]', { hasText: 'reconnecting' }).waitFor({ timeout: 20_000 });
    // The client clears the screen before every Replay, so the marker below can only come from the replay.
    labd = await startLabd(stateDir, origin, {}, port);
    await waitForOpen(page, logs);
    await waitForScreen(page, /^BEFORE-CRASH=\d+ MARKER-42\s*$/m, { timeoutMs: 30_000 });
    await typeInTerminal(page, 'echo AFTER-CRASH=$$\n');
    assert.equal((await waitForScreen(page, /^AFTER-CRASH=(\d+)\s*$/m))[1], pid, 'the same shell after labd came back');
    await page.screenshot({ path: join(screenshotDir, 'terminal-after-labd-crash.png') });

    await page.reload(); // and a fresh page gets the same from the restarted labd
    await waitForOpen(page, logs);
    await waitForScreen(page, /^AFTER-CRASH=\d+\s*$/m, { timeoutMs: 30_000 });
    await typeInTerminal(page, 'echo AFTER-RELOAD=$$\n');
    assert.equal((await waitForScreen(page, /^AFTER-RELOAD=(\d+)\s*$/m))[1], pid);
  });
});
