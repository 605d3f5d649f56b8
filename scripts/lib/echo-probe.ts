/**
 * A protocol-agnostic keystroke probe for terminal pages (ours and WeTTY alike), installed with
 * page.addInitScript before the page's own scripts. It wraps window.WebSocket so that its own
 * `message` listener is the first on every socket, and times for each printable keydown:
 *   echo  = keydown → the next WebSocket message event on the page's main thread
 *   paint = keydown → the animation frame after that message (the frame that can show it)
 * It never looks inside a message, so it measures any terminal the same way.
 */
import type { Page } from 'playwright-core';

// Page source as text: this file is type-checked without the DOM library.
export const ECHO_PROBE = `(() => {
  const lat = { pending: null, echo: [], paint: [], sent: [] };
  window.__echoProbe = lat;
  document.addEventListener('keydown', (e) => {
    if (e.key.length !== 1 || e.ctrlKey || e.altKey || e.metaKey) return;
    lat.pending = { t0: performance.now(), echoed: false };
  }, true);
  const Native = window.WebSocket;
  const send = Native.prototype.send;
  Native.prototype.send = function (d) { if (lat.pending && lat.pending.sent === undefined) lat.pending.sent = performance.now() - lat.pending.t0; return send.call(this, d); };
  class Probed extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => {
        const p = lat.pending;
        if (!p || p.echoed) return;
        p.echoed = true;
        const now = performance.now();
        lat.echo.push(now - p.t0);
        if (p.sent !== undefined) lat.sent.push(p.sent);
        requestAnimationFrame(() => { lat.paint.push(performance.now() - p.t0); if (lat.pending === p) lat.pending = null; });
      });
    }
  }
  window.WebSocket = Probed;
})()`;

export interface EchoSamples {
  echo: number[];
  paint: number[];
  sent: number[];
}

export const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);

/**
 * Types `keys` letters into the focused terminal one at a time, each after the previous one's
 * frame, clearing the line with Ctrl-U every `batch` keys so it never wraps.
 */
export async function typeAndTime(page: Page, keys: number, batch = 40): Promise<EchoSamples> {
  await page.evaluate('(() => { const l = window.__echoProbe; l.echo.length = 0; l.paint.length = 0; l.sent.length = 0; l.pending = null; })()');
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < keys; i++) {
    if (i % batch === 0) {
      await page.keyboard.press('Control+U');
      await page.waitForTimeout(60);
    }
    await page.keyboard.press(letters[(i + Math.floor(i / batch)) % letters.length]!);
    await page.waitForFunction('window.__echoProbe.pending === null', undefined, { timeout: 10_000, polling: 'raf' });
    await page.waitForTimeout(15); // let the echo's tail (cursor, acks) settle like a person's next key would
  }
  await page.keyboard.press('Control+U');
  return (await page.evaluate(
    '(() => { const l = window.__echoProbe; return { echo: [...l.echo], paint: [...l.paint], sent: [...l.sent] }; })()',
  )) as EchoSamples;
}

export function summary(s: EchoSamples): { n: number; echoP50: number; echoP99: number; paintP50: number; paintP99: number; sendP50: number } {
  const r = (x: number) => Number(x.toFixed(1));
  return {
    n: s.echo.length,
    echoP50: r(pct(s.echo, 50)),
    echoP99: r(pct(s.echo, 99)),
    paintP50: r(pct(s.paint, 50)),
    paintP99: r(pct(s.paint, 99)),
    sendP50: r(pct(s.sent, 50)),
  };
}
