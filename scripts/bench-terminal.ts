// Terminal benchmarks in Chromium through the real web server and labd, on a real netns lab:
//   1. keystroke-to-screen latency: trusted keydown → the echoed character in xterm's DOM, p50/p99
//   2. `cat` of a 50 MB file to the browser: MB/s until the end marker is on screen, labd peak RSS
// usage (root): node --import tsx scripts/bench-terminal.ts [--keys 200] [--mb 50]
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { launchChromium } from '../apps/web/e2e/browser.ts';
import { downLabs, freePort, serviceTokenFile, startLabd, startWeb, tempStateDir } from '../apps/web/e2e/harness.ts';
import { keystrokeEcho, pct } from './lib/keystroke-echo.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const KEYS = arg('keys', 200);
const MB = arg('mb', 50);
const BATCH = 40; // keystrokes per command line, then Ctrl-U: the line never wraps

if (process.getuid?.() !== 0) {
  console.error('bench-terminal: run as root (labd makes network namespaces)');
  process.exit(2);
}

function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function screenHas(page: Page, text: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(`document.querySelector('[data-testid=terminal-lab] .xterm-rows').textContent.includes(${JSON.stringify(text)})`, undefined, {
    timeout: timeoutMs,
    polling: 50,
  });
}

const stateDir = tempStateDir();
const port = await freePort();
const labd = await startLabd(stateDir, `http://127.0.0.1:${port}`);
const web = await startWeb({ ELAB_LABD_URL: labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(stateDir) }, port);
const browser = await launchChromium({ width: 1400, height: 900 });
try {
  const page = await browser.context.newPage();
  await page.goto(`${web.url}/en/hello-ebpf`);
  await page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
  await page.keyboard.type('echo READY-$((20+1))\n');
  await screenHas(page, 'READY-21', 20_000);

  const samples = await keystrokeEcho(page, KEYS, { perLine: BATCH, timeoutMs: 5000 });
  console.log(
    `keystroke → screen (${samples.length} keys): p50 ${pct(samples, 50).toFixed(1)} ms, p99 ${pct(samples, 99).toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms`,
  );

  // base64 of 3/4·N bytes is N bytes of printable text in 100-column lines.
  const bytes = MB * 1_000_000;
  await page.keyboard.type(`head -c ${Math.round((((bytes * 3) / 4) * 100) / 101)} /dev/urandom | base64 -w 100 > big.txt; stat -c 'SIZE=%s' big.txt\n`);
  await page.waitForFunction(`/SIZE=\\d+/.test(document.querySelector('[data-testid=terminal-lab] .xterm-rows').textContent)`, undefined, { timeout: 60_000 });
  const size = Number(/SIZE=(\d+)/.exec(await page.locator('[data-testid=terminal-lab] .xterm-rows').innerText())![1]);
  const labdPid = labd.proc.pid!;
  const rssBefore = rssKb(labdPid, 'VmRSS');
  let peak = rssBefore;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssKb(labdPid, 'VmRSS'));
  }, 50);
  const t0 = performance.now();
  await page.keyboard.type('clear; cat big.txt; echo CAT-DONE-$((4+4))\n');
  await screenHas(page, 'CAT-DONE-8', 600_000);
  const secs = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  console.log(`cat ${(size / 1e6).toFixed(1)} MB → browser: ${secs.toFixed(1)} s, ${(size / 1e6 / secs).toFixed(1)} MB/s`);
  console.log(
    `labd RSS: ${(rssBefore / 1024).toFixed(0)} MB before, peak ${(peak / 1024).toFixed(0)} MB during (sampled every 50 ms; VmHWM ${(rssKb(labdPid, 'VmHWM') / 1024).toFixed(0)} MB)`,
  );
} finally {
  await browser.close();
  await web.stop();
  await labd.stop();
  downLabs(stateDir);
}
