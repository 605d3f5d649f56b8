/**
 * A class through the web, the way browsers reach labd: N learners each get their cookie from the
 * web's POST /api/learner, start hello-ebpf through POST /api/lab/hello-ebpf, and type into the
 * terminal WebSocket through the web's proxy (/api/lab/terminal), all at once. `--browsers K` of
 * the N are real Chromium pages on the lesson, measured with the protocol-agnostic probe
 * (scripts/lib/echo-probe.ts) while the others type. netns with --trust-learners, as the harnesses run.
 * Reports echo p50/p99 for the socket learners and echo/paint for the browser ones, with the load.
 *   node --import tsx scripts/bench-class-web.ts [--learners 30] [--rounds 20] [--browsers 2]   (root)
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { encodeText, Op } from '@ebpf-lab/protocol';
import { launchChromium } from '../apps/web/e2e/browser.ts';
import { downLabs, freePort, serviceTokenFile, startLabd, startWeb, tempStateDir } from '../apps/web/e2e/harness.ts';
import { ECHO_PROBE, pct, typeAndTime, type EchoSamples } from './lib/echo-probe.ts';
import { echoRounds, OutputTail } from './lib/output-tail.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('learners', 30);
const ROUNDS = arg('rounds', 20);
const BROWSERS = Math.min(arg('browsers', 2), N);
const LAB = 'hello-ebpf';
const failedStarts: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
if (process.getuid?.() !== 0) {
  console.error('bench-class-web: run as root (netns labs)');
  process.exit(2);
}

/** One learner as a program: its cookie, and the calls the lesson page would make. */
class SocketLearner {
  cookie = '';
  tail: OutputTail | null = null;
  private ws: WebSocket | null = null;
  constructor(private readonly web: string) {}
  private headers(extra: Record<string, string> = {}) {
    return { origin: this.web, cookie: this.cookie, ...extra };
  }
  async api(method: string, path: string): Promise<{ status: number; body: { state?: string; error?: string } }> {
    const res = await fetch(`${this.web}${path}`, { method, headers: this.headers() });
    const set = res.headers.getSetCookie();
    if (set.length) this.cookie = set.map((c) => c.split(';')[0]).join('; ');
    return { status: res.status, body: (await res.json().catch(() => ({}))) as { state?: string } };
  }
  async start(): Promise<void> {
    const l = await this.api('POST', '/api/learner');
    if (l.status !== 201 && l.status !== 200) throw new Error(`POST /api/learner: ${l.status} ${JSON.stringify(l.body)}`);
    // A start that fails (a loaded machine can time one out) is retried like the panel's Retry
    // button, twice at most, and counted in the report.
    for (let attempt = 0; ; attempt++) {
      const s = await this.api('POST', `/api/lab/${LAB}`);
      if (s.status !== 200) throw new Error(`POST /api/lab/${LAB}: ${s.status} ${JSON.stringify(s.body)}`);
      let st = s;
      for (let i = 0; st.body.state === 'starting' && i < 600; i++) {
        await sleep(300);
        st = await this.api('GET', `/api/lab/${LAB}`);
      }
      if (st.body.state === 'ready') return;
      if (attempt >= 2) throw new Error(`lab not ready after ${attempt + 1} starts: ${JSON.stringify(st.body).slice(0, 400)}`);
      failedStarts.push(String(st.body.error ?? st.body.state));
    }
  }
  attach(): Promise<void> {
    const ws = new WebSocket(`${this.web.replace('http', 'ws')}/api/lab/terminal?lab=${LAB}&node=lab`, { headers: this.headers() });
    this.ws = ws;
    this.tail = new OutputTail(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_q, r) => reject(new Error(`terminal upgrade: ${r.statusCode}`)));
    });
  }
  type(s: string): void {
    this.ws?.send(encodeText(Op.Input, s));
  }
  close(): void {
    this.ws?.close(1000);
  }
}

const stateDir = tempStateDir();
const port = await freePort();
// labd's default cap (20 labs) is below a class of 30: raise it as an operator would.
const labd = await startLabd(stateDir, `http://127.0.0.1:${port}`, { ELAB_MAX_LABS: String(N + 2) });
const web = await startWeb({ ELAB_LABD_URL: labd.url, ELAB_SERVICE_TOKEN_FILE: serviceTokenFile(stateDir) }, port);
// One Chromium per browser learner: each is its own learner with its own cookie jar.
const browsers = await Promise.all(Array.from({ length: BROWSERS }, () => launchChromium({ width: 1400, height: 900 })));
const learners = Array.from({ length: N - BROWSERS }, () => new SocketLearner(web.url));
try {
  const t0 = performance.now();
  // Everyone arrives at once: the socket learners through the API, the browsers on the lesson page.
  const pages = await Promise.all(
    browsers.map(async (b) => {
      const page = await b.context.newPage();
      await page.addInitScript(ECHO_PROBE);
      await page.goto(`${web.url}/en/${LAB}`);
      return page;
    }),
  );
  await Promise.all([
    ...learners.map(async (l) => {
      await l.start();
      await l.attach();
      l.type('echo RE""ADY\r');
      await l.tail!.until('READY', 60_000);
    }),
    ...pages.map(async (p) => {
      // As a person would: a failed start gets the panel's Retry (counted like the sockets' retries).
      for (let i = 0; !(await p.locator('[data-testid=terminal-lab][data-status=open]').isVisible()); i++) {
        if (i > 900)
          throw new Error(
            `a Chromium learner's terminal did not open: ${await p
              .locator('[data-testid=lab-panel]')
              .innerText()
              .catch(() => '?')}`,
          );
        if (await p.getByTestId('lab-error').isVisible()) {
          failedStarts.push(`browser: ${(await p.getByTestId('lab-error').innerText()).slice(0, 200)}`);
          await p.getByTestId('lab-error').getByRole('button').click();
        }
        await p.waitForTimeout(1000);
      }
      await p.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
    }),
  ]);
  const upSecs = (performance.now() - t0) / 1000;
  const load0 = load();
  // All type at once: socket learners a unique marker per round (timed to its echo), then ^U and a
  // pause like a person's; the browsers type key by key through the page meanwhile.
  const lat: number[] = [];
  let typing = true;
  const sockets = Promise.all(learners.map((l, i) => echoRounds((s) => l.type(s), l.tail!, i, ROUNDS, lat, 20_000))).finally(() => {
    typing = false;
  });
  const seen: EchoSamples = { echo: [], paint: [], sent: [] };
  await Promise.all(
    pages.map(async (p) => {
      while (typing) {
        const s = await typeAndTime(p, 20);
        seen.echo.push(...s.echo);
        seen.paint.push(...s.paint);
      }
    }),
  );
  await sockets;
  const f = (x: number) => x.toFixed(1);
  console.log(
    `bench-class-web: ${N} learners through the web (${learners.length} WebSocket clients, ${BROWSERS} Chromium pages), ${LAB} on netns, --trust-learners`,
  );
  console.log(
    `  all ${N} labs ready with a terminal in ${upSecs.toFixed(1)} s (${failedStarts.length} failed starts retried${failedStarts.length ? `: ${[...new Set(failedStarts)].join('; ')}` : ''}); load average ${load0} before typing, ${load()} after`,
  );
  console.log(
    `  socket learners, echo of a typed marker (${lat.length} samples): p50 ${f(pct(lat, 50))} ms, p99 ${f(pct(lat, 99))} ms, max ${f(Math.max(...lat))} ms`,
  );
  if (BROWSERS)
    console.log(
      `  Chromium learners, keystroke → echo message (${seen.echo.length}): p50 ${f(pct(seen.echo, 50))} ms, p99 ${f(pct(seen.echo, 99))} ms; → painted frame p50 ${f(pct(seen.paint, 50))} ms, p99 ${f(pct(seen.paint, 99))} ms`,
    );
} finally {
  for (const l of learners) l.close();
  for (const b of browsers) await b.close();
  await web.stop();
  await labd.stop();
  downLabs(stateDir);
}
