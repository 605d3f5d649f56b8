// The lab panel stays readable for a lab with many members: pod-to-pod's ten member tabs (three
// nodes, six pods, the outside host) plus the editor tab, in Chromium at a laptop-sized window,
// against the real labd and a real netns lab.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshotDir } from './harness';
import { waitForScreen } from './terminal-screen';
import { browserStack } from './support/stack';

const isRoot = process.getuid?.() === 0;
const MEMBERS = ['k8s-s', 'k8s-w1', 'k8s-w2', 'netpod', 'webpod1', 'webpod2', 'tiefighter', 'xwing', 'deathstar', 'internet'];
const LAST = MEMBERS.at(-1)!;

interface Box {
  name: string;
  text: string;
  top: number;
  bottom: number;
  left: number;
  right: number;
  clipped: boolean;
}

/** Where each tab sits, as the person sees it, relative to the visible part of the tab row. */
async function tabBoxes(page: Page): Promise<{ row: Box; tabs: Box[] }> {
  // No named helpers inside evaluate: the test's transpiler would wrap them in a helper the page lacks.
  return page.locator('[role=tablist]').evaluate((row) => {
    const all = [row, ...row.querySelectorAll('[role=tab]')].map((el) => {
      const r = el.getBoundingClientRect();
      const h = el as HTMLElement;
      return {
        name: el === row ? 'row' : (el.getAttribute('data-testid') ?? ''),
        text: h.innerText,
        top: r.top,
        bottom: r.bottom,
        left: r.left,
        right: r.right,
        clipped: h.scrollWidth > h.clientWidth,
      };
    });
    return { row: all[0]!, tabs: all.slice(1) };
  });
}

const visibleIn = (t: Box, row: Box) => t.left >= row.left - 0.5 && t.right <= row.right + 0.5;

describe('lab panel with many members', { skip: !isRoot && 'needs root: labd makes network namespaces' }, () => {
  const fx = browserStack({ viewport: { width: 1280, height: 800 } });

  it('shows every member tab and the editor tab whole: no label wrapped, cut or hidden', async () => {
    await fx.page.goto(`${fx.web.url}/en/pod-to-pod`);
    // A generous ceiling: the lab starts with the page, and eleven holders take long on a loaded host.
    await fx.page.getByTestId(`tab-${LAST}`).waitFor({ timeout: 180_000 });
    await fx.page.screenshot({ path: join(screenshotDir, 'lab-panel-ten-members.png') });
    const { row, tabs } = await tabBoxes(fx.page);
    assert.deepEqual(
      tabs.map((t) => t.text.trim()),
      [...MEMBERS, 'Editor'],
      'every member has a tab, with its name as the label, then the editor',
    );
    const lineHeight = tabs[0]!.bottom - tabs[0]!.top;
    const rows = new Set(tabs.map((t) => Math.round(t.top)));
    for (const t of tabs) {
      assert.ok(Math.abs(t.bottom - t.top - lineHeight) < 1, `${t.name} is one line tall like the others (${JSON.stringify(t)})`);
      assert.ok(!t.clipped && !t.text.includes('\n'), `${t.name}'s label is not wrapped or cut: "${t.text}"`);
      assert.ok(visibleIn(t, row) && t.bottom <= row.bottom + 0.5, `${t.name} is fully inside the tab row (${JSON.stringify(t)} in ${JSON.stringify(row)})`);
    }
    assert.ok(rows.size <= 2, `eleven tabs take at most two rows at 1280 px, took ${rows.size}`);
  });

  it('clicking the last member tab opens its shell', async () => {
    await fx.page.getByTestId(`tab-${LAST}`).click();
    assert.equal(await fx.page.getByTestId(`tab-${LAST}`).getAttribute('aria-selected'), 'true');
    await fx.page.locator(`[data-testid=terminal-${LAST}][data-status=open]`).waitFor({ timeout: 60_000 });
    await fx.page.locator(`[data-testid=terminal-${LAST}] .xterm-helper-textarea`).focus();
    await fx.page.keyboard.type('hostname; echo "node=$LAB_NODE"\n');
    await waitForScreen(fx.page, new RegExp(`^node=${LAST}\\s*$`, 'm'), { testid: `terminal-${LAST}`, timeoutMs: 30_000 });
  });
});
