// The driver picker in Chromium against the real labd: hello-ebpf runs on netns, vagrant and vm,
// so Reset offers all three, with vagrant's preflight state as labd reports it; the lab moves to netns and
// its terminal works. A one-driver lab never shows a picker. labd runs with
// ELAB_VAGRANT_PROVIDER=virtualbox: where VirtualBox is not installed, vagrant shows as disabled
// with its fix on every machine. Screenshots: e2e/screenshots/driver-*.png.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { screenText, waitForScreen } from './terminal-screen';
import { screenshotDir } from './harness';
import { browserStack } from './support/stack';

const isRoot = process.getuid?.() === 0;
interface Choice {
  name: string;
  supported: boolean;
  ok: boolean;
  missing: { what: string; fix: string }[];
}

const panelIn = (page: Page, state: string) => page.locator(`[data-testid=lab-panel][data-lab-state=${state}]`);

describe('driver picker', { skip: !isRoot && 'needs root: labd makes network namespaces' }, () => {
  const fx = browserStack({ labdEnv: { ELAB_VAGRANT_PROVIDER: 'virtualbox' } });

  it('hello-ebpf: Reset offers netns, vagrant and vm with their state; reset on netns gives a working terminal', async () => {
    await fx.page.goto(`${fx.web.url}/en/hello-ebpf`);
    await panelIn(fx.page, 'ready').waitFor({ timeout: 60_000 });
    assert.equal(await fx.page.getByTestId('lab-driver').textContent(), 'netns', "started on the lab's first driver");
    assert.equal(await fx.page.getByTestId('driver-picker').count(), 0, 'no picker while the lab simply runs');

    // The driver badge opens the picker too, and Cancel leaves the running lab as it was.
    await fx.page.getByTestId('lab-driver').click();
    await fx.page.getByTestId('driver-picker').locator('[data-testid=driver-vagrant]').waitFor();
    await fx.page.getByTestId('driver-cancel').click();
    await fx.page.getByTestId('driver-picker').waitFor({ state: 'detached' });
    assert.equal(await panelIn(fx.page, 'ready').count(), 1, 'cancel keeps the lab');

    await fx.page.getByTestId('lab-reset').click();
    const picker = fx.page.getByTestId('driver-picker');
    await picker.locator('[data-testid=driver-vagrant]').waitFor();
    const listed = (await (await fx.page.request.get(`${fx.web.url}/api/lab/hello-ebpf/drivers`)).json()) as Choice[];
    const vagrant = listed.find((d) => d.name === 'vagrant')!;
    assert.deepEqual(
      await picker.locator('label[data-testid^=driver-]').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-testid'))),
      ['driver-netns', 'driver-vagrant', 'driver-vm'],
      "only the lab's drivers, in lab.yaml order",
    );
    assert.match(await picker.getByTestId('driver-netns').innerText(), /namespaces on this machine's kernel, starts in ~0\.1 s/);
    assert.match(await picker.getByTestId('driver-vagrant').innerText(), /a VM with a stock kernel \(kprobes, BCC\), ~10 s to start/);
    assert.equal(await picker.locator('[data-testid=driver-netns] input').isChecked(), true);
    const vagrantRow = picker.getByTestId('driver-vagrant');
    assert.equal(await vagrantRow.getAttribute('data-ok'), String(vagrant.ok));
    assert.equal(await vagrantRow.locator('input').isDisabled(), !vagrant.ok);
    const rowText = await vagrantRow.innerText();
    for (const m of vagrant.missing) assert.ok(rowText.includes(m.fix), `vagrant's row shows the fix "${m.fix}":\n${rowText}`);
    await fx.page.screenshot({ path: join(screenshotDir, 'driver-picker.png') });

    // Which lab this is, as the learner's shell names it (the picker is open over the terminal).
    await picker.getByTestId('driver-cancel').click();
    await picker.waitFor({ state: 'detached' });
    await fx.page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 60_000 });
    await fx.page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
    await fx.page.keyboard.type('echo BEFORE-$LAB_INSTANCE\n');
    const before = (await waitForScreen(fx.page, /^BEFORE-([a-z0-9]{6})\s*$/m))[1];

    await fx.page.getByTestId('lab-reset').click();
    await picker.getByTestId('driver-submit').click();
    await picker.waitFor({ state: 'detached' });
    // The old shell's screen goes away with its lab (a new terminal), then the new one opens.
    for (const end = Date.now() + 90_000; (await screenText(fx.page)).includes(`BEFORE-${before}`);) {
      assert.ok(Date.now() < end, "the old lab's terminal went away after the reset");
      await fx.page.waitForTimeout(200);
    }
    await panelIn(fx.page, 'ready').waitFor({ timeout: 60_000 });
    assert.equal(await fx.page.getByTestId('lab-driver').textContent(), 'netns', 'the badge names the driver picked');
    await fx.page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 60_000 });
    await waitForScreen(fx.page, /[#$]\s*$/m);
    await fx.page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
    await fx.page.keyboard.type('echo PICKED-$((6*7))-$LAB_INSTANCE\n');
    const after = (await waitForScreen(fx.page, /^PICKED-42-([a-z0-9]{6})\s*$/m))[1];
    assert.notEqual(after, before, 'a fresh lab');
    await fx.page.screenshot({ path: join(screenshotDir, 'driver-after-reset.png') });
  });

  it('a lab on one driver (xdp, netns only) shows no picker and no driver badge', async () => {
    await fx.page.goto(`${fx.web.url}/en/xdp`);
    await panelIn(fx.page, 'ready').waitFor({ timeout: 90_000 });
    assert.equal(await fx.page.getByTestId('lab-driver').count(), 0);
    assert.equal(await fx.page.getByTestId('driver-picker').count(), 0);
  });
});
