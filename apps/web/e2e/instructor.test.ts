// An instructor-led class in three Chromium contexts (instructor, Ann, Bob) against the real labd,
// the real web server and real netns labs (needs root): sign-in, class, join, live roster, follow
// (read-only, proven from the learner's shell), broadcasts, export, end. Screenshots: e2e/screenshots/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Op } from '@ebpf-lab/protocol';
import type { Page } from 'playwright-core';
import { screenshotDir } from './harness';
import { browserStack } from './support/stack';
import { screenText, waitForScreen } from './terminal-screen';

const isRoot = process.getuid?.() === 0;
const mark = Math.random().toString(36).slice(2, 8);

async function typeInLabTerminal(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
  await page.keyboard.type(text);
}
const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshotDir, `instructor-${name}.png`) });

describe('instructor-led class in the browser', { skip: !isRoot && 'needs root: labd makes network namespaces' }, () => {
  // Three separate browser profiles: three people, three cookie jars.
  const fx = browserStack({ people: 3, viewport: { width: 1500, height: 900 } });
  let teacher: Page;
  let ann: Page;
  let bob: Page;
  let classId = '';
  let joinUrl = '';
  before(() => {
    [teacher, ann, bob] = fx.pages as [Page, Page, Page];
  });

  it('the instructor signs in with the token once and creates a class with a join code', async () => {
    await teacher.goto(`${fx.web.url}/instructor`);
    await teacher.getByTestId('instructor-token').fill('not-the-token-'.repeat(3));
    await teacher.getByRole('button', { name: 'Sign in' }).click();
    await teacher.getByRole('alert').filter({ hasText: 'not the instructor token' }).waitFor();
    await teacher.getByTestId('instructor-token').fill(readFileSync(join(fx.stateDir, 'instructor-token'), 'utf8').trim());
    await teacher.getByRole('button', { name: 'Sign in' }).click();
    await teacher.getByTestId('create-class').waitFor();
    const cookies = await fx.browser.context.cookies();
    const session = cookies.find((c) => c.name === 'elab_instructor')!;
    assert.ok(session.httpOnly, 'the session cookie is httpOnly');
    assert.equal(session.sameSite, 'Strict', 'no other site can send it');
    assert.equal(session.path, '/instructor', 'only the instructor pages get it');
    assert.ok(
      !cookies.some((c) => c.value.includes(readFileSync(join(fx.stateDir, 'instructor-token'), 'utf8').trim())),
      'the token itself never reaches the browser',
    );

    await teacher.getByTestId('class-name').fill('Tuesday eBPF');
    for (const box of await teacher.locator('[data-testid^=lesson-]').all()) await box.uncheck();
    await teacher.getByTestId('lesson-hello-ebpf').check();
    await teacher.getByTestId('create-class-submit').click();
    await teacher.getByTestId('room').waitFor();
    classId = teacher.url().split('/').pop()!;
    // The room fills in its origin after hydration: wait for the absolute link, not the first paint.
    await teacher
      .getByTestId('join-url')
      .filter({ hasText: /^https?:\/\// })
      .waitFor();
    joinUrl = (await teacher.getByTestId('join-url').innerText()).trim();
    assert.match(joinUrl, /\/join\/[A-Z2-9]{8}$/);
  });

  it('a wrong join code is refused', async () => {
    await ann.goto(`${fx.web.url}/join/ZZZZ2222`);
    await ann.getByTestId('join-unknown').waitFor();
  });

  it('two learners join with a display name, land in the lesson and appear in the roster', async () => {
    for (const [page, name] of [
      [ann, 'Ann'],
      [bob, 'Bob'],
    ] as const) {
      await page.goto(joinUrl);
      await page.getByTestId('join-name').fill(name);
      await page.getByTestId('join-submit').click();
      await page.waitForURL(/\/en\/hello-ebpf$/);
    }
    await Promise.all([ann, bob].map((p) => p.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 90_000 })));
    for (const name of ['Ann', 'Bob']) {
      await teacher.locator(`[data-testid=roster-${name}][data-lab=ready]`).waitFor({ timeout: 60_000 });
      // What the instructor reads in the row: the name, the step, no check yet, the lab ready.
      const row = (await teacher.getByTestId(`roster-${name}`).innerText()).replace(/\s+/g, ' ');
      assert.match(row, new RegExp(`^${name} hello-ebpf · 1\\. bpftrace 0/3 .* 0 — ready\\b`), `${name}'s row reads: ${row}`);
    }
    assert.equal(await teacher.locator('[data-testid^=roster-] [data-testid=follow]').count(), 2);
  });

  // How fast the roster follows is a figure for scripts/bench-class-load.ts; here it must follow at all.
  it('Ann passes the bpftrace step in her terminal and the roster shows it', async () => {
    await waitForScreen(ann, /[#$][\s\u00a0]*$/m);
    await typeInLabTerminal(
      ann,
      'cat > trace-execve.bt <<\'BT\'\ntracepoint:syscalls:sys_enter_execve\n{\n  printf("%-7d %-16s %s\\n", pid, comm, str(args->filename));\n}\nBT\n',
    );
    await typeInLabTerminal(ann, 'bpftrace trace-execve.bt > trace-execve.log 2>&1 & bt=$!\n');
    await typeInLabTerminal(
      ann,
      'for i in $(seq 100); do bpftool -j perf show | grep -q "\\"pid\\":$bt,.*sys_enter_execve" && break; sleep 0.1; done; echo ATTACHED-$((40+2))\n',
    );
    await waitForScreen(ann, /^ATTACHED-42\s*$/m, { testid: 'terminal-lab', timeoutMs: 30_000 });
    const check = ann.getByTestId('check-bpftrace');
    await check.scrollIntoViewIfNeeded();
    await check.getByRole('button').click();
    await ann.locator('[data-testid=check-bpftrace][data-status=pass]').waitFor({ timeout: 60_000 });
    assert.equal(await check.getByTestId('verdict').innerText(), '✓ pass', 'Ann reads her verdict');
    await teacher.locator('[data-testid=roster-Ann] [data-testid=dot-bpftrace][data-status=pass]').waitFor({ timeout: 60_000 });
    assert.equal(await teacher.locator('[data-testid=roster-Ann]').getAttribute('data-step'), 'hello', 'Ann is on step 2 now');
    assert.equal(await teacher.locator('[data-testid=roster-Ann] [data-testid=last-check]').getAttribute('data-status'), 'pass');
    const row = (await teacher.getByTestId('roster-Ann').innerText()).replace(/\s+/g, ' ');
    assert.match(row, /· 2\. hello 1\/3 /, `the instructor reads step 2 and one step of three done: ${row}`);
    assert.match(row, /bpftrace: pass/, `and the last check: ${row}`);
    await shot(teacher, '01-roster-pass');
  });

  it('following Ann shows what she types, live', async () => {
    await teacher.locator('[data-testid=roster-Ann] [data-testid=follow]').click();
    await teacher.locator('[data-testid=follow-status][data-status=open]').waitFor({ timeout: 30_000 });
    await waitForScreen(teacher, /ATTACHED-42/, { testid: 'follow-terminal', timeoutMs: 30_000 }); // the replay of what came before
    await typeInLabTerminal(ann, `echo FOLLOW-${mark}-$((6*7))\n`);
    await waitForScreen(teacher, new RegExp(`^FOLLOW-${mark}-42\\s*$`, 'm'), { testid: 'follow-terminal', timeoutMs: 30_000 });
    await shot(teacher, '02-follow');
  });

  it('the follow view cannot send input: typing into it and a hand-made socket reach nothing', async () => {
    const probe = `/tmp/elab-follow-${mark}`;
    await teacher.getByTestId('follow-terminal').click();
    await teacher.keyboard.type(`touch ${probe}-typed; echo INJECTED-$((2+2))\n`);
    // Past the UI: a WebSocket of its own through the web's follow proxy, sending Input frames.
    const sent = await teacher.evaluate(
      async ({ classId, learnerId, op, probe }) => {
        const ws = new WebSocket(`ws://${location.host}/instructor/api/follow?class=${classId}&learner=${learnerId}`);
        ws.binaryType = 'arraybuffer';
        await new Promise((r, j) => {
          ws.onopen = r;
          ws.onerror = j;
        });
        const text = new TextEncoder().encode(`touch ${probe}-socket; echo INJECTED-$((3+3))\r`);
        const frame = new Uint8Array(text.length + 1);
        frame[0] = op;
        frame.set(text, 1);
        ws.send(frame);
        const open = ws.readyState === WebSocket.OPEN;
        // The server's answer to our close comes after it handled the frame before it (one ordered
        // connection through the web's proxy to labd): from then on a forwarded frame would be in Ann's pty.
        const closed = new Promise<number>((r) => {
          ws.onclose = (ev) => r(ev.code);
        });
        ws.close(1000);
        return { open, code: await closed };
      },
      { classId, learnerId: (await teacher.locator('[data-testid=roster-Ann]').getAttribute('data-learner'))!, op: Op.Input, probe },
    );
    assert.ok(sent.open, 'the socket was open when the frame went out');
    assert.equal(sent.code, 1000, 'and closed cleanly: labd answered the close, after the frame');
    // Looked for inside Ann's lab (its /tmp is its own, not the host's), beside a file she made herself
    // so the probe is seen to find a file that does exist.
    await typeInLabTerminal(
      ann,
      `touch ${probe}-control; for f in ${probe}-control ${probe}-typed ${probe}-socket; do [ -e "$f" ] && echo "FOUND:$f"; done; echo PROBE-$((40+2))\n`,
    );
    await waitForScreen(ann, /^PROBE-42\s*$/m);
    const annScreen = await screenText(ann);
    assert.match(annScreen, new RegExp(`FOUND:${probe}-control`), 'the probe finds a file that exists');
    assert.doesNotMatch(annScreen, new RegExp(`FOUND:${probe}-(typed|socket)`), "neither probe file exists in Ann's lab");
    assert.doesNotMatch(annScreen, /INJECTED-[46]/, "nothing the follower sent ran in Ann's shell");
    await waitForScreen(teacher, /^PROBE-42\s*$/m, { testid: 'follow-terminal', timeoutMs: 30_000 }); // still following
  });

  it("a broadcast message shows on both learners' pages; a go-to takes them to the step", async () => {
    await teacher.getByTestId('broadcast-message').fill('Pair up for step 2');
    await teacher.getByTestId('broadcast-send').click();
    for (const p of [ann, bob]) {
      const banner = p.getByTestId('class-banner-text').filter({ hasText: 'Pair up for step 2' });
      await banner.waitFor({ timeout: 30_000 });
      assert.ok(await banner.isVisible(), 'the learner sees the banner');
    }
    await shot(bob, '03-banner');
    await teacher.getByTestId('broadcast-message').fill('');
    await teacher.getByTestId('broadcast-goto').selectOption('hello-ebpf#map');
    await teacher.getByTestId('broadcast-send').click();
    for (const p of [ann, bob]) {
      await p.waitForFunction(() => location.hash === '#step-map', undefined, { timeout: 30_000 });
      await p.locator('[data-testid=check-map].step-highlight').waitFor({ timeout: 30_000 });
    }
  });

  it('the class results export as CSV and JSON', async () => {
    // The instructor clicks Export CSV and gets a file.
    const [download] = await Promise.all([teacher.waitForEvent('download', { timeout: 30_000 }), teacher.getByTestId('export-csv').click()]);
    assert.match(download.suggestedFilename(), /^class-.*\.csv$/);
    const text = readFileSync((await download.path())!, 'utf8');
    assert.match(text, /^learner,learner_id,lesson,lab,step,status,attempts,first_pass_at,first_pass_after_s,last_message\r\n/);
    assert.match(text, /\r\nAnn,l\w+,hello-ebpf,hello-ebpf,bpftrace,pass,1,\d{4}-/);
    assert.match(text, /\r\nBob,l\w+,hello-ebpf,hello-ebpf,bpftrace,pending,0,,,/);
    const [jsonDownload] = await Promise.all([teacher.waitForEvent('download', { timeout: 30_000 }), teacher.getByTestId('export-json').click()]);
    const json = JSON.parse(readFileSync((await jsonDownload.path())!, 'utf8')) as { rows: unknown[] };
    assert.equal(json.rows.length, 6);
    // Without the session, the export is refused: that refusal is the behaviour, so the call stays a request.
    const outsider = await ann.request.get(`${fx.web.url}/instructor/api/export?class=${classId}&format=csv`);
    assert.equal(outsider.status(), 401, "a learner's browser has no instructor session");
  });

  it('when Ann resets her lab, the follow view moves to her new shell by itself', async () => {
    await typeInLabTerminal(ann, 'echo INSTANCE-$LAB_INSTANCE\n');
    const before = (await waitForScreen(ann, /^INSTANCE-([a-z0-9]{6})\s*$/m))[1];
    await ann.getByTestId('lab-reset').click();
    // hello-ebpf runs on netns and vagrant, so Reset asks where; netns is preselected.
    await ann.getByTestId('driver-submit').click();
    await ann.getByTestId('driver-picker').waitFor({ state: 'detached', timeout: 60_000 });
    await ann.locator('[data-testid=lab-panel][data-lab-state=ready]').waitFor({ timeout: 60_000 });
    await ann.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 30_000 });
    await waitForScreen(ann, /[#$][\s\u00a0]*$/m);
    await typeInLabTerminal(ann, `echo RESET-${mark}-$((6*7))-$LAB_INSTANCE\n`);
    const now = (await waitForScreen(ann, new RegExp(`^RESET-${mark}-42-([a-z0-9]{6})\\s*$`, 'm')))[1];
    assert.notEqual(now, before, 'a fresh lab');
    await waitForScreen(teacher, new RegExp(`^RESET-${mark}-42-${now}\\s*$`, 'm'), { testid: 'follow-terminal', timeoutMs: 30_000 });
    assert.equal(await teacher.getByTestId('follow-status').getAttribute('data-status'), 'open');
  });

  it('ending the class takes every lab down and tells the learners', async () => {
    // Each learner's lab, as their own shell names it.
    const ids: string[] = [];
    for (const p of [ann, bob]) {
      await typeInLabTerminal(p, 'echo LAB-IS-$LAB_INSTANCE\n');
      ids.push((await waitForScreen(p, /^LAB-IS-([a-z0-9]{6})\s*$/m))[1]!);
    }
    const netnsBefore = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const id of ids) assert.ok(netnsBefore.includes(`el${id}-`), `lab ${id} runs before the end`);
    teacher.once('dialog', (d) => void d.accept());
    await teacher.getByTestId('end-class').click();
    await teacher.getByTestId('end-result').filter({ hasText: 'ended: 2 labs taken down' }).waitFor({ timeout: 60_000 });
    await ann.getByTestId('class-banner-text').filter({ hasText: 'The class has ended' }).waitFor({ timeout: 30_000 });
    assert.match(await teacher.getByTestId('end-result').innerText(), /ended: 2 labs taken down/, 'the instructor reads the result');
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const id of ids) assert.ok(!netns.includes(`el${id}-`), `lab ${id} is gone`);
    await shot(teacher, '04-ended');
  });

  it('a web restart keeps the instructor signed in; signing out ends the session in labd', async () => {
    await fx.web.stop();
    await fx.startWeb();
    await teacher.goto(`${fx.web.url}/instructor`);
    await teacher.getByTestId('instructor-home').filter({ hasText: 'Tuesday eBPF' }).waitFor({ timeout: 30_000 });
    const session = (await fx.browser.context.cookies()).find((c) => c.name === 'elab_instructor')!.value;
    const asSession = (method: string) => fetch(`${fx.labd.url}/v1/classes`, { method, headers: { authorization: `Bearer ${session}` } });
    assert.equal((await asSession('GET')).status, 200, 'labd takes the session');
    await teacher.getByRole('button', { name: 'Sign out' }).click();
    await teacher.getByTestId('instructor-token').waitFor();
    assert.equal((await asSession('GET')).status, 401, 'the session ended in labd, not just in this browser');
  });
});
