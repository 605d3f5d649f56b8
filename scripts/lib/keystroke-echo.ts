import type { Page } from 'playwright-core';

// Keystroke → screen in Chromium, measured inside the page: from a trusted keydown to the first
// DOM change of xterm's rows that shows the line typed so far. Page-side code is source text:
// scripts are type-checked without the DOM library.
const PROBE = `(() => {
  // A Reset makes a new terminal (new rows): the probe of the old one is taken off first.
  const old = window.__lat;
  if (old) { document.removeEventListener('keydown', old.onKey, true); old.observer.disconnect(); }
  const rows = document.querySelector('[data-testid=terminal-lab] .xterm-rows');
  const lat = { typed: '', pending: null, samples: [], start(marker) { this.typed = marker; this.pending = null; } };
  lat.onKey = (e) => {
    if (e.key.length !== 1 || e.ctrlKey) return;
    lat.typed += e.key;
    lat.pending = { t0: performance.now(), want: lat.typed };
  };
  document.addEventListener('keydown', lat.onKey, true);
  lat.observer = new MutationObserver(() => {
    const p = lat.pending;
    if (p && rows.textContent.includes(p.want)) { lat.samples.push(performance.now() - p.t0); lat.pending = null; }
  });
  lat.observer.observe(rows, { childList: true, subtree: true, characterData: true });
  window.__lat = lat;
})()`;

export { pct } from './echo-probe.ts';

/**
 * Types `keys` letters one at a time into the lab terminal (focused, at a prompt) and returns each
 * one's echo time in ms. Each line starts with a marker no screen holds yet (a shell comment), so
 * a letter is only counted once it shows after that marker; Ctrl-U every `perLine` keys.
 */
export async function keystrokeEcho(page: Page, keys: number, o: { perLine?: number; timeoutMs?: number } = {}): Promise<number[]> {
  const perLine = o.perLine ?? 40;
  await page.evaluate(PROBE);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < keys; i++) {
    if (i % perLine === 0) {
      await page.keyboard.press('Control+U');
      const marker = `#k${i}t${Date.now() % 1_000_000}:`;
      await page.keyboard.type(marker);
      await page.waitForFunction(
        `document.querySelector('[data-testid=terminal-lab] .xterm-rows').textContent.includes(${JSON.stringify(marker)})`,
        undefined,
        { timeout: o.timeoutMs ?? 30_000, polling: 'raf' },
      );
      await page.evaluate(`window.__lat.start(${JSON.stringify(marker)})`);
    }
    await page.keyboard.press(letters[(i + Math.floor(i / perLine)) % letters.length]!);
    await page.waitForFunction('window.__lat.pending === null', undefined, { timeout: o.timeoutMs ?? 30_000, polling: 'raf' });
  }
  await page.keyboard.press('Control+U');
  const samples = (await page.evaluate('window.__lat.samples.splice(0)')) as number[];
  return samples;
}
