// Two learners, each on a vm lab (a QEMU guest of their own), through the web in Chromium: each
// starts the lab on vm, the terminal runs in the guest (its own kernel, its own instance), Check
// shows a verdict, and Reset (through the driver picker) gives a fresh guest without the earlier file.
// Needs root and QEMU with the guest image (scripts/build-vm-image.sh), so it lives outside e2e/*.test.ts
// (the web stage) and scripts/test-vm.sh runs it (ELAB_VM_INTEGRATION=1). Screenshots: e2e/screenshots/vm-*.png.
import assert from 'node:assert/strict';
import { release } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshotDir } from '../harness';
import { browserStack } from '../support/stack';
import { waitForScreen } from '../terminal-screen';

const skip =
  process.getuid?.() !== 0
    ? 'needs root: labd runs QEMU and namespaces'
    : process.env.ELAB_VM_INTEGRATION !== '1'
      ? 'the vm stage runs it (ELAB_VM_INTEGRATION=1, scripts/test-vm.sh)'
      : false;

// TCG boots a guest in 8-16 s alone; with two at once on a shared 2-core host, far more.
const BOOT_MS = 300_000;
const panelIn = (page: Page, state: string) => page.locator(`[data-testid=lab-panel][data-lab-state=${state}]`);

async function typeIn(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
  await page.keyboard.type(text);
}

async function promptReady(page: Page): Promise<void> {
  await page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: BOOT_MS });
  await waitForScreen(page, /[#$][\s\u00a0]*$/m, { timeoutMs: 60_000 });
}

/** Reset through the picker onto vm; resolves once the new lab is ready on vm and its shell prompts. */
async function resetOntoVm(page: Page): Promise<void> {
  await page.getByTestId('lab-reset').click();
  const picker = page.getByTestId('driver-picker');
  const vm = picker.getByTestId('driver-vm');
  await vm.waitFor();
  assert.equal(await vm.getAttribute('data-ok'), 'true', `the vm driver is usable here: ${await vm.innerText()}`);
  await vm.locator('input').check();
  await picker.getByTestId('driver-submit').click();
  await picker.waitFor({ state: 'detached', timeout: 60_000 });
  await page.locator('[data-testid=lab-driver]', { hasText: 'vm' }).waitFor({ timeout: BOOT_MS });
  await panelIn(page, 'ready').waitFor({ timeout: BOOT_MS });
  await promptReady(page);
}

/** Echoes a marker with the guest's kernel and the lab instance, as the learner's shell sees them. */
async function whoAmI(page: Page, tag: string): Promise<{ kernel: string; instance: string }> {
  await typeIn(page, `echo ${tag}-$((6*7))-$(uname -r)-$LAB_INSTANCE\n`);
  const m = await waitForScreen(page, new RegExp(`^${tag}-42-(\\S+)-([a-z0-9]{6})\\s*$`, 'm'), { timeoutMs: 60_000 });
  return { kernel: m[1]!, instance: m[2]! };
}

describe('two learners on vm labs in the browser', { skip }, () => {
  // Two browser profiles: two cookie jars, so two learners with a lab each.
  const fx = browserStack({ people: 2, viewport: { width: 1400, height: 900 } });
  let ann: Page;
  let bob: Page;
  const first = new Map<Page, string>();
  before(() => {
    [ann, bob] = fx.pages as [Page, Page];
  });

  it('each learner starts hello-ebpf on vm and gets a shell in a guest of their own', async () => {
    await Promise.all(
      [ann, bob].map(async (page) => {
        // The page's own start would use the lab's first driver (netns); the learner (the web's
        // first-visit call) chooses vm through the web's lab API with the browser's cookies, and the
        // page then shows that lab.
        const headers = { origin: fx.web.url };
        const l = await page.request.post(`${fx.web.url}/api/learner`, { headers });
        assert.ok(l.ok(), `a learner through the web: ${l.status()} ${await l.text()}`);
        const r = await page.request.post(`${fx.web.url}/api/lab/hello-ebpf`, { data: { driver: 'vm' }, headers });
        assert.ok(r.ok(), `starting on vm through the web: ${r.status()} ${await r.text()}`);
        await page.goto(`${fx.web.url}/en/hello-ebpf`);
        await page.locator('[data-testid=lab-driver]', { hasText: 'vm' }).waitFor({ timeout: BOOT_MS });
        await panelIn(page, 'ready').waitFor({ timeout: BOOT_MS });
        await promptReady(page);
      }),
    );
    const a = await whoAmI(ann, 'ANN');
    const b = await whoAmI(bob, 'BOB');
    assert.notEqual(a.kernel, release(), `Ann's shell runs on the guest's kernel, not the host's (${release()})`);
    assert.equal(b.kernel, a.kernel, 'both guests boot the same image');
    assert.notEqual(a.instance, b.instance, 'two labs, one per learner');
    first.set(ann, a.instance).set(bob, b.instance);

    // Each writes a file in their lab; neither sees the other's (two machines, not two directories).
    await typeIn(ann, 'echo ann > /srv/lab/mine-ann; ls /srv/lab/ | grep -c "^mine-" | sed "s/^/ANN-MINE-/"\n');
    await typeIn(bob, 'echo bob > /srv/lab/mine-bob; ls /srv/lab/ | grep -c "^mine-" | sed "s/^/BOB-MINE-/"\n');
    await waitForScreen(ann, /^ANN-MINE-1\s*$/m, { timeoutMs: 60_000 });
    await waitForScreen(bob, /^BOB-MINE-1\s*$/m, { timeoutMs: 60_000 });
    await ann.screenshot({ path: join(screenshotDir, 'vm-ann-terminal.png') });
  });

  it('Check runs in each guest and the learner reads the verdict: not yet, then pass for Ann', async () => {
    for (const page of [ann, bob]) {
      const check = page.getByTestId('check-bpftrace');
      await check.scrollIntoViewIfNeeded();
      await check.getByRole('button').click();
      await page.locator('[data-testid=check-bpftrace][data-status=fail]').waitFor({ timeout: 180_000 });
      assert.equal(await check.getByTestId('verdict').innerText(), '✗ not yet');
    }
    // Ann solves the step in her guest: bpftrace on the real execve tracepoint of the guest kernel.
    await typeIn(
      ann,
      'cat > trace-execve.bt <<\'BT\'\ntracepoint:syscalls:sys_enter_execve\n{\n  printf("%-7d %-16s %s\\n", pid, comm, str(args->filename));\n}\nBT\n',
    );
    await typeIn(ann, 'bpftrace trace-execve.bt > trace-execve.log 2>&1 & bt=$!\n');
    await typeIn(
      ann,
      'for i in $(seq 600); do bpftool -j perf show | grep -q "\\"pid\\":$bt,.*sys_enter_execve" && break; sleep 0.2; done; echo ATTACHED-$((40+2))\n',
    );
    await waitForScreen(ann, /^ATTACHED-42\s*$/m, { timeoutMs: 180_000 });
    const check = ann.getByTestId('check-bpftrace');
    await check.getByRole('button').click();
    await ann.locator('[data-testid=check-bpftrace][data-status=pass]').waitFor({ timeout: 180_000 });
    assert.equal(await check.getByTestId('verdict').innerText(), '✓ pass');
    await ann.screenshot({ path: join(screenshotDir, 'vm-ann-check-pass.png') });
    // Bob did nothing: his verdict is still his own.
    assert.equal(await bob.getByTestId('check-bpftrace').getAttribute('data-status'), 'fail');
  });

  it('Reset gives each learner a fresh guest: the earlier file is gone, the other learner is untouched', async () => {
    await resetOntoVm(ann);
    const a = await whoAmI(ann, 'ANN2');
    assert.notEqual(a.instance, first.get(ann), 'Ann has a new lab');
    await typeIn(ann, 'test -e /srv/lab/mine-ann && echo ANN-FILE-KEPT || echo ANN-FILE-GONE\n');
    await waitForScreen(ann, /^ANN-FILE-GONE\s*$/m, { timeoutMs: 60_000 });
    // Bob's lab went on as it was: the same instance, his file still there.
    await typeIn(bob, 'cat /srv/lab/mine-bob; echo BOB-STILL-$LAB_INSTANCE\n');
    await waitForScreen(bob, new RegExp(`^BOB-STILL-${first.get(bob)}\\s*$`, 'm'), { timeoutMs: 60_000 });
    await ann.screenshot({ path: join(screenshotDir, 'vm-ann-after-reset.png') });
  });
});
