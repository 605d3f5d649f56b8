// A class's lessons language in real Chromium against the real labd and netns labs (needs root):
// a Korean class's join link opens the Korean lessons, the learner's language switch still works,
// the room's broadcasts and go-tos still reach them, and the room can change the language. Then,
// without --trust-learners, a join that stops the learner's netns lab says so in the class's language.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshotDir } from './harness';
import { browserStack } from './support/stack';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && 'needs root: labd makes network namespaces';
const KO_TITLE = 'execve로 시작하는 Hello eBPF';
const EN_TITLE = 'Hello eBPF on execve';

async function joinAs(page: Page, joinUrl: string, name: string): Promise<void> {
  await page.goto(joinUrl);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-submit').click();
}

describe('a Korean class opens the Korean lessons', { skip }, () => {
  const s = browserStack({ people: 3, viewport: { width: 1400, height: 900 } });
  let teacher: Page;
  let min: Page;
  let joe: Page;
  let joinUrl = '';
  before(() => {
    [teacher, min, joe] = s.pages as [Page, Page, Page];
  });

  it('the instructor creates a class with Korean lessons in the room', async () => {
    await teacher.goto(`${s.web.url}/instructor`);
    await teacher.getByTestId('instructor-token').fill(readFileSync(join(s.stateDir, 'instructor-token'), 'utf8').trim());
    await teacher.getByRole('button', { name: 'Sign in' }).click();
    await teacher.getByTestId('class-name').fill('화요 eBPF 스터디');
    for (const box of await teacher.locator('[data-testid^=lesson-]').all()) await box.uncheck();
    await teacher.getByTestId('lesson-hello-ebpf').check();
    await teacher.getByTestId('class-language').selectOption('ko');
    await teacher.getByTestId('create-class-submit').click();
    await teacher.getByTestId('room').waitFor();
    assert.equal(await teacher.getByTestId('room-language').inputValue(), 'ko', "the room shows the class's language");
    await teacher
      .getByTestId('join-url')
      .filter({ hasText: /^https?:\/\// })
      .waitFor();
    joinUrl = (await teacher.getByTestId('join-url').innerText()).trim();
  });

  it('a learner opens the join link: the join page and then the lesson are Korean', async () => {
    await min.goto(joinUrl);
    await min.getByRole('heading', { name: '“화요 eBPF 스터디” 수업 참여' }).waitFor();
    assert.ok(await min.getByText('강사에게 보일 이름').isVisible(), 'the name label is Korean');
    await min.getByTestId('join-name').fill('민');
    await min.getByRole('button', { name: '참여' }).click();
    await min.waitForURL(/\/ko\/hello-ebpf$/);
    const title = min.getByRole('heading', { level: 1, name: KO_TITLE });
    await title.waitFor();
    assert.ok(await title.isVisible(), 'the learner reads the Korean lesson title');
    assert.ok(await min.getByText('한국어', { exact: true }).isVisible(), 'and the language switch');
    await min.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 90_000 });
    await min.screenshot({ path: join(screenshotDir, 'class-language-01-ko-lesson.png') });
  });

  it('a message and a go-to from the room reach the learner on the Korean page', async () => {
    await teacher.locator('[data-testid=roster-민][data-lab=ready]').waitFor({ timeout: 60_000 });
    await teacher.getByTestId('broadcast-message').fill('2단계로 가세요');
    await teacher.getByTestId('broadcast-goto').selectOption('hello-ebpf#map');
    await teacher.getByTestId('broadcast-send').click();
    const banner = min.getByTestId('class-banner').filter({ hasText: '강사 메시지: 2단계로 가세요' });
    await banner.waitFor({ timeout: 30_000 });
    assert.ok(await banner.isVisible(), 'the banner, titled in Korean');
    await min.waitForFunction(() => location.hash === '#step-map', undefined, { timeout: 30_000 });
    await min.locator('[data-testid=check-map].step-highlight').waitFor({ timeout: 30_000 });
    assert.match(min.url(), /\/ko\/hello-ebpf#step-map$/, 'the go-to kept the Korean lesson');
  });

  it("the learner's language switch still works", async () => {
    await min.getByTestId('locale-switch').getByText('English').click();
    await min.waitForURL(/\/en\/hello-ebpf/);
    await min.getByRole('heading', { level: 1, name: EN_TITLE }).waitFor();
  });

  it('the room changes the class to English: the next learner lands on the English lesson', async () => {
    await teacher.getByTestId('room-language').selectOption('en');
    // The change is done when labd's roster event carries it back to the room.
    await teacher.locator('[data-testid=class-language-switch][data-language=en]').waitFor({ timeout: 30_000 });
    await joinAs(joe, joinUrl, 'Joe');
    await joe.waitForURL(/\/en\/hello-ebpf$/);
    await joe.getByRole('heading', { level: 1, name: EN_TITLE }).waitFor();
    assert.ok((await joe.getByRole('button', { name: 'Join' }).count()) === 0, 'past the join form');
  });
});

describe('joining stops a running netns lab and the join page says so', { skip }, () => {
  // labd's default policy (no --trust-learners): a join stops the learner's netns lab.
  const s = browserStack({ people: 2, viewport: { width: 1400, height: 900 }, trustLearners: false });
  let ann: Page;
  let bob: Page;
  before(() => {
    [ann, bob] = s.pages as [Page, Page];
  });

  /** The instructor's class, made the way the room makes it (labd's API with the instructor token). */
  async function newClass(language: 'en' | 'ko'): Promise<string> {
    const token = readFileSync(join(s.stateDir, 'instructor-token'), 'utf8').trim();
    const res = await fetch(`${s.labd.url}/v1/classes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Class ${language}`, language, lessons: [{ slug: 'hello-ebpf', title: EN_TITLE, labId: 'hello-ebpf' }] }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return `${s.web.url}${((await res.json()) as { joinPath: string }).joinPath}`;
  }

  const liveNetnsLabs = (): string[] => {
    const dir = join(s.stateDir, 'instances');
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    return (existsSync(dir) ? readdirSync(dir) : []).filter((id) => netns.includes(`el${id}-`));
  };

  /** The learner's lab, started by opening the lesson outside any class; returns its instance id. */
  async function labOnNetns(page: Page): Promise<string> {
    await page.goto(`${s.web.url}/en/hello-ebpf`);
    await page.locator('[data-testid=lab-panel][data-lab-state=ready]').waitFor({ timeout: 90_000 });
    await page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 60_000 });
    const live = liveNetnsLabs();
    assert.equal(live.length, 1, `one netns lab runs: ${live.join(', ')}`);
    return live[0]!;
  }

  for (const [language, who, expected, cont] of [
    ['ko', 'ann', /실행 중이던 랩 hello-ebpf은\(는\) 이 머신의 커널\(netns\)에서 실행되는데.*중지했습니다\. 진행 상황은 저장되어 있습니다/, '강의로 계속'],
    ['en', 'bob', /Your running lab hello-ebpf ran on this machine's own kernel \(netns\).*it was stopped\. Your progress is kept/, 'Continue to the lesson'],
  ] as const) {
    it(`in a class in ${language}: the notice names the stopped lab, and the lesson is one click on`, async () => {
      const page = who === 'ann' ? ann : bob;
      const instance = await labOnNetns(page);
      const joinUrl = await newClass(language);
      await joinAs(page, joinUrl, who);
      const notice = page.getByTestId('join-notice');
      await notice.waitFor({ timeout: 30_000 });
      assert.match(await notice.innerText(), expected);
      assert.ok(await notice.isVisible());
      assert.ok(!liveNetnsLabs().includes(instance), `lab ${instance} is really down`);
      await page.screenshot({ path: join(screenshotDir, `class-language-02-stopped-${language}.png`) });
      await page.getByRole('link', { name: cont }).click();
      await page.waitForURL(new RegExp(`/${language}/hello-ebpf$`));
      await page.getByRole('heading', { level: 1, name: language === 'ko' ? KO_TITLE : EN_TITLE }).waitFor();
    });
  }
});
