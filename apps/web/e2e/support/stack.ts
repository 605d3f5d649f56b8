/**
 * The set-up the web's e2e tests share: a real labd (root, private state dir) that allows the web's
 * origin and the production web server on a free port in front of it (`webStack()`), plus Chromium
 * for the browser tests (`browserStack()`: one browser profile per person, each its own cookie jar).
 * Both register the file's `before` and `after` hooks and return the fixture they fill in; `after`
 * closes the browsers, stops web and labd, and takes down every lab labd made (labs outlive labd by
 * design), whatever `before` got to.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium } from '../browser';
import { downLabs, freePort, serviceTokenFile, startLabd, startWeb, tempStateDir, type Proc } from '../harness';
import { waitForScreen } from '../terminal-screen';

export interface WebStackOptions {
  /** Extra environment for labd (e.g. ELAB_VAGRANT_PROVIDER). */
  labdEnv?: Record<string, string>;
  /** labd's --trust-learners (default true: several learners on netns labs); false tests its default policy. */
  trustLearners?: boolean;
}

export interface WebStack {
  stateDir: string;
  webPort: number;
  /** The web's origin, the one labd allows. */
  origin: string;
  /** The Host header the web answers for ("127.0.0.1:<port>"). */
  host: string;
  labd: Proc;
  web: Proc;
  /** Starts labd again on the same state dir (after a test stopped or killed it), by default on `port`. */
  startLabd(port?: number): Promise<Proc>;
  /** Starts the web again on the same port, in front of the current labd. */
  startWeb(): Promise<Proc>;
}

export interface StackOptions extends WebStackOptions {
  viewport?: { width: number; height: number };
  /** How many people (browser profiles, each its own Chromium and cookie jar); default 1. */
  people?: number;
  /** Runs on each new page before any test (init scripts, listeners). */
  preparePage?: (page: Page) => Promise<void>;
}

type Browser = Awaited<ReturnType<typeof launchChromium>>;

export interface Stack extends WebStack {
  /** The first person's browser and page (the only ones unless `people` says more). */
  browser: Browser;
  page: Page;
  /** One per person, in order. */
  browsers: Browser[];
  pages: Page[];
  /** Every uncaught exception in any page, as "url: message". */
  pageErrors: string[];
}

/**
 * Registers the hooks that bring labd and the web up and down around a describe; `up` runs once
 * both are up, `down` before they stop (a browser must close before its server goes).
 */
function register(fx: WebStack, opts: WebStackOptions, up?: () => Promise<void>, down?: () => Promise<void>): void {
  let started = false;
  fx.startLabd = async (port = 0) => (fx.labd = await startLabd(fx.stateDir, fx.origin, opts.labdEnv, port, { trustLearners: opts.trustLearners }));
  // The web gets labd's service token explicitly, as scripts/start.sh gives it (it never reads labd's state dir).
  fx.startWeb = async () => (fx.web = await startWeb({ ELAB_LABD_URL: fx.labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(fx.stateDir) }, fx.webPort));

  before(async () => {
    started = true;
    fx.stateDir = tempStateDir();
    fx.webPort = await freePort();
    fx.host = `127.0.0.1:${fx.webPort}`;
    fx.origin = `http://${fx.host}`;
    await fx.startLabd();
    await fx.startWeb();
    await up?.();
  });

  after(async () => {
    if (!started) return; // the describe was skipped
    await down?.();
    await fx.web?.stop();
    await fx.labd?.stop();
    if (fx.stateDir) downLabs(fx.stateDir);
  });
}

/** labd and the web, no browser: for tests that speak HTTP and WebSocket themselves. */
export function webStack(opts: WebStackOptions = {}): WebStack {
  const fx = {} as WebStack;
  register(fx, opts);
  return fx;
}

export function browserStack(opts: StackOptions = {}): Stack {
  const fx = { pageErrors: [] as string[], browsers: [] as Browser[], pages: [] as Page[] } as Stack;
  register(
    fx,
    opts,
    async () => {
      for (let i = 0; i < (opts.people ?? 1); i++) {
        const browser = await launchChromium(opts.viewport);
        fx.browsers.push(browser);
        const page = await browser.context.newPage();
        fx.pages.push(page);
        page.on('pageerror', (e) => fx.pageErrors.push(`${page.url()}: ${e.message}`));
        await opts.preparePage?.(page);
      }
      fx.browser = fx.browsers[0]!;
      fx.page = fx.pages[0]!;
    },
    async () => {
      for (const b of fx.browsers) await b.close();
    },
  );
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
