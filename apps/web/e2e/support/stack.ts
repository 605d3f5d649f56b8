/**
 * The set-up most browser tests share: a real labd (root, private state dir) that allows the web's
 * origin, the production web server on a free port in front of it, and Chromium with one page.
 * `browserStack()` registers the file's `before` and `after` hooks and returns the fixture they
 * fill in; `after` closes the browser, stops web and labd, and takes down every lab labd made
 * (labs outlive labd by design), whatever `before` got to.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium } from '../browser';
import { downLabs, freePort, serviceTokenFile, startLabd, startWeb, tempStateDir, type Proc } from '../harness';
import { waitForScreen } from '../terminal-screen';

export interface StackOptions {
  /** Extra environment for labd (e.g. ELAB_VAGRANT_PROVIDER). */
  labdEnv?: Record<string, string>;
  viewport?: { width: number; height: number };
  /** Runs on the new page before any test (init scripts, listeners). */
  preparePage?: (page: Page) => Promise<void>;
}

export interface Stack {
  stateDir: string;
  webPort: number;
  /** The web's origin, the one labd allows. */
  origin: string;
  labd: Proc;
  web: Proc;
  browser: Awaited<ReturnType<typeof launchChromium>>;
  page: Page;
  /** Every uncaught exception in the page, as "url: message". */
  pageErrors: string[];
  /** Starts labd again on the same state dir (after a test stopped or killed it), by default on `port`. */
  startLabd(port?: number): Promise<Proc>;
  /** Starts the web again on the same port, in front of the current labd. */
  startWeb(): Promise<Proc>;
}

export function browserStack(opts: StackOptions = {}): Stack {
  const fx = { pageErrors: [] as string[] } as Stack;
  let started = false;
  fx.startLabd = async (port = 0) => (fx.labd = await startLabd(fx.stateDir, fx.origin, opts.labdEnv, port));
  // The web gets labd's service token explicitly, as scripts/start.sh gives it (it never reads labd's state dir).
  fx.startWeb = async () => (fx.web = await startWeb({ ELAB_LABD_URL: fx.labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(fx.stateDir) }, fx.webPort));

  before(async () => {
    started = true;
    fx.stateDir = tempStateDir();
    fx.webPort = await freePort();
    fx.origin = `http://127.0.0.1:${fx.webPort}`;
    await fx.startLabd();
    await fx.startWeb();
    fx.browser = await launchChromium(opts.viewport);
    fx.page = await fx.browser.context.newPage();
    fx.page.on('pageerror', (e) => fx.pageErrors.push(`${fx.page.url()}: ${e.message}`));
    await opts.preparePage?.(fx.page);
  });

  after(async () => {
    if (!started) return; // the describe was skipped
    await fx.browser?.close();
    await fx.web?.stop();
    await fx.labd?.stop();
    if (fx.stateDir) downLabs(fx.stateDir);
  });
  return fx;
}

/**
 * Resets the learner's lab straight to `step` (labd solves the steps before it), waits until it is
 * ready, reloads the page and leaves the focus in the lab terminal at a prompt.
 */
export async function resetToStep(fx: Stack, lab: string, step: string): Promise<void> {
  const reset = await fx.page.request.post(`${fx.web.url}/api/lab/${lab}/reset`, { data: { step } });
  assert.equal(reset.status(), 200, await reset.text());
  for (const end = Date.now() + 180_000; ;) {
    const s = (await (await fx.page.request.get(`${fx.web.url}/api/lab/${lab}`)).json()) as { state: string; error?: string };
    if (s.state === 'ready') break;
    assert.notEqual(s.state, 'error', s.error);
    assert.ok(Date.now() < end, `the reset to the ${step} step finished in time`);
    await fx.page.waitForTimeout(500);
  }
  await fx.page.reload();
  await fx.page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 60_000 });
  await waitForScreen(fx.page, /[#$]\s*$/m);
  await fx.page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
}
