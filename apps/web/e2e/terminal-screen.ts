import type { Page } from 'playwright-core';

/** What an xterm on the page shows now (non-breaking spaces as spaces); '' before it exists. */
export async function screenText(page: Page, testid = 'terminal-lab'): Promise<string> {
  const text = await page
    .locator(`[data-testid=${testid}] .xterm-rows`)
    .innerText()
    .catch(() => '');
  return text.replace(/\u00a0/g, ' ');
}

/** Polls the xterm `testid` until `re` matches what it shows; on timeout the error carries the screen. */
export async function waitForScreen(page: Page, re: RegExp, opts: { testid?: string; timeoutMs?: number } = {}): Promise<RegExpExecArray> {
  const { testid = 'terminal-lab', timeoutMs = 20_000 } = opts;
  for (const end = Date.now() + timeoutMs; ;) {
    const text = await screenText(page, testid);
    const m = re.exec(text);
    if (m) return m;
    if (Date.now() > end) throw new Error(`${testid} never showed ${re}; it shows:\n${text}`);
    await page.waitForTimeout(100);
  }
}
