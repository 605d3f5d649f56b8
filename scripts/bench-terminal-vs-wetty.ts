/**
 * Our lesson page's terminal beside WeTTY (xterm.js + node-pty over socket.io), in one run, one
 * headless Chromium, the same protocol-agnostic probe (scripts/lib/echo-probe.ts):
 *   - keystroke → echo's WebSocket message, keystroke → the frame after it (p50/p99), in rounds
 *     that alternate between the two so machine load hits both alike;
 *   - `cat` of an N MB file → until its end marker is on screen (MB/s), alternating too.
 * WeTTY is not a dependency: install it pinned into a scratch directory outside the repo first
 *   mkdir -p /tmp/wetty && cd /tmp/wetty && npm install wetty@3.2.0
 * and pass --wetty /tmp/wetty (it then runs as `wetty --host 127.0.0.1 --command bash`, loopback only,
 * a root shell like a netns lab's, stopped at the end).
 *   node --import tsx scripts/bench-terminal-vs-wetty.ts --wetty DIR [--rounds 5] [--keys 60] [--mb 20] [--wire] [--splice-too]
 * --wire also splits each echo into its server share, timed at the loopback wire with tcpdump
 * (scripts/lib/wire-rtt.ts: keystroke packet → the server's next packet), and the browser's share
 * (the rest: renderer → network service → socket and back), for both targets.
 * --splice-too adds a third target in the same rounds: our page through a second web with
 * ELAB_TERMINAL_HANDOFF=0 (the web splices every keystroke, as before the handoff), its own
 * browser profile and so its own learner and lab.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../apps/web/e2e/browser.ts';
import { downLabs, freePort, serviceTokenFile, startLabd, startWeb, tempStateDir } from '../apps/web/e2e/harness.ts';
import { ECHO_PROBE, pct, typeAndTime, type EchoSamples } from './lib/echo-probe.ts';
import { captureWire, type WireCapture } from './lib/wire-rtt.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const WETTY_DIR = arg('wetty', '');
const ROUNDS = Number(arg('rounds', '5'));
const KEYS = Number(arg('keys', '60'));
const MB = Number(arg('mb', '20'));
const WIRE = process.argv.includes('--wire');
const SPLICE_TOO = process.argv.includes('--splice-too');
const wettyMain = join(WETTY_DIR, 'node_modules/wetty/build/main.js');
if (!WETTY_DIR || !existsSync(wettyMain)) {
  console.error(
    `bench-terminal-vs-wetty: no WeTTY at ${wettyMain || '(none given)'}; install it outside the repo:\n  mkdir -p /tmp/wetty && cd /tmp/wetty && npm install wetty@3.2.0\nthen pass --wetty /tmp/wetty`,
  );
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('bench-terminal-vs-wetty: run as root (labd makes network namespaces)');
  process.exit(2);
}

interface Target {
  name: string;
  /** The server port the page's WebSocket goes to (the web's for ours). */
  port: number;
  page: Page;
  screenHas(text: string): string;
  dir: string;
}
const ours = (text: string) => `document.querySelector('[data-testid=terminal-lab] .xterm-rows').textContent.includes(${JSON.stringify(text)})`;
// WeTTY draws with WebGL/canvas: read its xterm buffer (it exposes the Terminal as window.wetty_term).
const wettys = (text: string) =>
  `(() => { const b = window.wetty_term?.buffer.active; if (!b) return false; for (let i = Math.max(0, b.length - 80); i < b.length; i++) if (b.getLine(i)?.translateToString(true).includes(${JSON.stringify(text)})) return true; return false; })()`;

async function ready(t: Target): Promise<void> {
  await t.page.locator('.xterm-helper-textarea').first().waitFor({ state: 'attached', timeout: 120_000 });
  await t.page.waitForTimeout(1500); // WeTTY's login/shell start; ours is already open
  await t.page.locator('.xterm-helper-textarea').first().focus();
  await t.page.keyboard.type('echo READY-$((20+1))\n');
  await t.page.waitForFunction(t.screenHas('READY-21'), undefined, { timeout: 60_000, polling: 100 });
}

async function throughput(t: Target, bytes: number): Promise<number> {
  const file = `${t.dir}big.txt`;
  // base64 of 3/4·N bytes is N bytes of printable text in 100-column lines.
  await t.page.keyboard.type(`head -c ${Math.round((((bytes * 3) / 4) * 100) / 101)} /dev/urandom | base64 -w 100 > ${file}; echo MADE-$((3+4))\n`);
  await t.page.waitForFunction(t.screenHas('MADE-7'), undefined, { timeout: 120_000, polling: 100 });
  const t0 = performance.now();
  await t.page.keyboard.type(`clear; cat ${file}; echo CAT-DONE-$((4+4))\n`);
  await t.page.waitForFunction(t.screenHas('CAT-DONE-8'), undefined, { timeout: 900_000, polling: 50 });
  const secs = (performance.now() - t0) / 1000;
  await t.page.keyboard.type(`rm -f ${file}; clear\n`);
  return bytes / 1e6 / secs;
}

const stateDir = tempStateDir();
const port = await freePort();
const wettyPort = await freePort();
const scratch = mkdtempSync(join(tmpdir(), 'elab-wetty-'));
const splicePort = SPLICE_TOO ? await freePort() : 0;
const labd = await startLabd(stateDir, [port, ...(SPLICE_TOO ? [splicePort] : [])].map((p) => `http://127.0.0.1:${p}`).join(','));
const webEnv = { ELAB_LABD_URL: labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(stateDir) };
const web = await startWeb(webEnv, port);
const spliceWeb = SPLICE_TOO ? await startWeb({ ...webEnv, ELAB_TERMINAL_HANDOFF: '0' }, splicePort) : null;
const wetty = spawn(process.execPath, [wettyMain, '--host', '127.0.0.1', '--port', String(wettyPort), '--base', '/', '--command', 'bash'], {
  cwd: scratch,
  stdio: ['ignore', 'pipe', 'pipe'],
});
wetty.on('error', (e) => console.error(`wetty: ${e.message}`));
let wettyOut = '';
wetty.stdout!.on('data', (c: Buffer) => {
  wettyOut += c;
});
wetty.stderr!.on('data', (c: Buffer) => {
  wettyOut += c;
});
const browser = await launchChromium({ width: 1400, height: 900 });
const spliceBrowser = SPLICE_TOO ? await launchChromium({ width: 1400, height: 900 }) : null;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
let wire: WireCapture | null = null;
try {
  for (let i = 0; !wettyOut.includes(String(wettyPort)) && i < 300; i++) await new Promise((r) => setTimeout(r, 100));
  const open = async (url: string, context = browser.context) => {
    const p = await context.newPage();
    await p.addInitScript(ECHO_PROBE);
    await p.goto(url);
    return p;
  };
  const targets: Target[] = [
    { name: 'eBPF Lab lesson page', port, page: await open(`${web.url}/en/hello-ebpf`), screenHas: ours, dir: '' },
    { name: 'WeTTY 3.2.0', port: wettyPort, page: await open(`http://127.0.0.1:${wettyPort}/`), screenHas: wettys, dir: `${scratch}/` },
  ];
  if (spliceWeb && spliceBrowser)
    targets.push({
      name: 'eBPF Lab, spliced',
      port: splicePort,
      page: await open(`${spliceWeb.url}/en/hello-ebpf`, spliceBrowser.context),
      screenHas: ours,
      dir: '',
    });
  for (const t of targets.filter((x) => x.screenHas === ours))
    await t.page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 120_000 });
  for (const t of targets) await ready(t);
  const load0 = load();
  if (WIRE) wire = await captureWire(targets.map((t) => t.port));
  const all = new Map<string, EchoSamples>(targets.map((t) => [t.name, { echo: [], paint: [], sent: [] }]));
  const rounds = new Map<string, { echoP50: number; paintP50: number }[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of r % 2 ? [...targets].reverse() : targets) {
      await t.page.bringToFront();
      await t.page.locator('.xterm-helper-textarea').first().focus();
      const s = await typeAndTime(t.page, KEYS);
      const a = all.get(t.name)!;
      a.echo.push(...s.echo);
      a.paint.push(...s.paint);
      a.sent.push(...s.sent);
      rounds.get(t.name)!.push({ echoP50: pct(s.echo, 50), paintP50: pct(s.paint, 50) });
    }
  }
  await wire?.stop();
  const mbs = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < 2; r++) {
    for (const t of r % 2 ? [...targets].reverse() : targets) {
      await t.page.bringToFront();
      await t.page.locator('.xterm-helper-textarea').first().focus();
      mbs.get(t.name)!.push(await throughput(t, MB * 1e6));
    }
  }
  const f = (x: number) => x.toFixed(1).padStart(6);
  const med = (xs: number[]) => pct(xs, 50);
  console.log(`bench-terminal-vs-wetty: ${ROUNDS} alternating rounds of ${KEYS} keys, ${MB} MB cat ×2; load average ${load0} at start, ${load()} at end`);
  console.log('                         echo p50   p99 | paint p50   p99 | round-median echo p50  paint p50 | cat MB/s');
  for (const t of targets) {
    const a = all.get(t.name)!;
    const rs = rounds.get(t.name)!;
    console.log(
      `  ${t.name.padEnd(22)} ${f(pct(a.echo, 50))} ${f(pct(a.echo, 99))} | ${f(pct(a.paint, 50))} ${f(pct(a.paint, 99))} | ${f(med(rs.map((x) => x.echoP50)))}               ${f(med(rs.map((x) => x.paintP50)))} | ${mbs
        .get(t.name)!
        .map((x) => x.toFixed(1))
        .join(', ')}`,
    );
  }
  if (wire) {
    console.log('  echo p50 split (--wire): server share = keystroke packet → server reply on loopback; browser share = echo p50 − server share');
    for (const t of targets) {
      const w = wire.rtts(t.port);
      const server = pct(w, 50);
      console.log(
        `  ${t.name.padEnd(22)} server ${f(server)} ms (p90 ${pct(w, 90).toFixed(1)}, ${w.length} pairs) | browser ${f(pct(all.get(t.name)!.echo, 50) - server)} ms`,
      );
    }
  }
} finally {
  await wire?.stop();
  await browser.close();
  await spliceBrowser?.close();
  wetty.kill('SIGTERM');
  await web.stop();
  await spliceWeb?.stop();
  await labd.stop();
  downLabs(stateDir);
  rmSync(scratch, { recursive: true, force: true });
}
