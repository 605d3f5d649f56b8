/**
 * Keystroke echo on vm labs, in Chromium through the web, and how many concurrent VM labs this
 * machine holds with echo p99 under a ceiling. One learner's page moves hello-ebpf to vm (the
 * driver picker, as a learner does) and types one character at a time into the terminal; the
 * echo time is measured inside the page, from the keydown event to the moment the character is
 * on screen (xterm's rows), so the browser's rendering is in it and the test driver is not.
 * Then N-1 more learners get a vm lab each (through labd's API) and the same is measured with N
 * guests running, N stepping up until p99 reaches the ceiling or --max. Load average is printed
 * with each step: the host is shared.
 *
 * The same keystrokes on the lab's first netns instance come first: the anchor, under the same load.
 *
 *   node --import tsx scripts/bench-vm-echo.ts [--keys 200] [--steps 1,2,4,6,8] [--ceiling-ms 50] [--all]   (root)
 *   (--all: measure every step even after p99 reached the ceiling)
 */
import { readFileSync } from 'node:fs';
import { launchChromium } from '../apps/web/e2e/browser.ts';
import { freePort, serviceTokenFile, startWeb } from '../apps/web/e2e/harness.ts';
import { call, downAllLabs, learner, startLabd } from '../apps/labd/src/test-support/labd-harness.ts';
import { keystrokeEcho, pct } from './lib/keystroke-echo.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const KEYS = Number(arg('keys', '200'));
const STEPS = arg('steps', '1,2,4,6,8').split(',').map(Number);
const CEILING = Number(arg('ceiling-ms', '50'));
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const webPort = await freePort();
const labd = await startLabd({ env: { ELAB_ALLOWED_ORIGINS: `http://127.0.0.1:${webPort}`, ELAB_VM_POOL: '0' } });
const web = await startWeb({ ELAB_LABD_URL: labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(labd.stateDir) }, webPort);
const browser = await launchChromium();
const results: { labs: number; p50ms: number; p99ms: number; load: string }[] = [];
try {
  const page = await browser.context.newPage();
  await page.goto(`${web.url}/en/hello-ebpf`);
  await page.locator('[data-testid=lab-panel][data-lab-state=ready]').waitFor({ timeout: 120_000 });
  // The anchor, in the same run and under the same load: the lab as it starts, on netns.
  await page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 120_000 });
  await page.waitForTimeout(1000);
  await page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
  const anchor = await keystrokeEcho(page, KEYS, { perLine: 30 });
  console.log(JSON.stringify({ anchor: 'netns', p50ms: Number(pct(anchor, 50).toFixed(1)), p99ms: Number(pct(anchor, 99).toFixed(1)), load: load() }));
  await page.getByTestId('lab-reset').click();
  await page.getByTestId('driver-vm').locator('input').check();
  await page.getByTestId('driver-submit').click();
  await page.locator('[data-testid=lab-driver]', { hasText: 'vm' }).waitFor({ timeout: 600_000 });
  await page.locator('[data-testid=lab-panel][data-lab-state=ready]').waitFor({ timeout: 600_000 });
  await page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 120_000 });
  await page.waitForTimeout(3000);

  let running = 1;
  for (const n of STEPS) {
    // More learners, each with a vm lab (booted at once, as a class arriving would).
    const more = await Promise.all(
      Array.from({ length: Math.max(0, n - running) }, async (_, i) => {
        const l = await learner(labd, `bench-${running + i}`);
        const r = await call(labd.url, 'POST', '/v1/lab', l.token, { driver: 'vm' });
        if (r.status !== 200) throw new Error(`POST /v1/lab (vm): ${r.status} ${r.text}`);
        const ev = await call(labd.url, 'GET', '/v1/lab/events', l.token);
        if (!ev.text.includes('"phase":"ready"')) throw new Error(`a vm lab did not become ready:\n${ev.text.slice(-500)}`);
      }),
    );
    running += more.length;
    await page.waitForTimeout(5000); // let the new guests settle after boot
    await page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
    const ms = await keystrokeEcho(page, KEYS, { perLine: 30 });
    const r = { labs: running, p50ms: Number(pct(ms, 50).toFixed(1)), p99ms: Number(pct(ms, 99).toFixed(1)), load: load() };
    results.push(r);
    console.log(JSON.stringify(r));
    if (r.p99ms >= CEILING && !process.argv.includes('--all')) break;
  }
  const held = results.findIndex((r) => r.p99ms >= CEILING);
  const ok = held < 0 ? results : results.slice(0, held);
  console.log(
    `echo p99 < ${CEILING} ms held up to ${ok.at(-1)?.labs ?? 0} concurrent vm labs${held >= 0 ? ` (broke at ${results[held]!.labs})` : ' (the largest step tried)'}`,
  );
} finally {
  await browser.close();
  await web.stop();
  await labd.stop();
  downAllLabs(labd.stateDir);
}
