// With labd down, a lesson that has a lab still shows its text; the lab panel says the lab service
// cannot be reached and why (not "the lesson file has a problem": the file is fine). As a person
// sees it in Chromium, in both languages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser';
import { startWeb, type Proc } from './harness';

describe('labd is not running', () => {
  let web: Proc | undefined;
  before(async () => {
    // Port 9 (discard) on loopback: nothing answers, as when labd is stopped.
    web = await startWeb({ ELAB_LABD_URL: 'http://127.0.0.1:9', ELAB_SERVICE_TOKEN: 'x'.repeat(43) });
  });
  after(async () => {
    await web?.stop();
  });

  it('the lesson text renders and the lab panel names the cause and the fix', async () => {
    const b = await launchChromium();
    try {
      const page = await b.context.newPage();
      await page.goto(`${web!.url}/en/hello-ebpf`);
      const lesson = page.getByTestId('lesson');
      await lesson.waitFor({ timeout: 60_000 });
      assert.match((await lesson.locator('h1').textContent()) ?? '', /\S/, 'the lesson has its title');
      assert.equal(await page.getByTestId('lesson-error').count(), 0, 'no "lesson cannot be shown" page');
      const err = page.getByTestId('lab-error');
      await err.waitFor({ timeout: 30_000 });
      const text = (await err.textContent()) ?? '';
      assert.match(text, /lab service cannot be reached/);
      assert.match(text, /not reachable at http:\/\/127\.0\.0\.1:9/, 'the address it tried');
      assert.match(text, /scripts\/start\.sh/, 'how to start it');

      await page.goto(`${web!.url}/ko/hello-ebpf`);
      await page.getByTestId('lesson').waitFor({ timeout: 60_000 });
      assert.match((await page.getByTestId('lab-error').textContent()) ?? '', /실습 서비스에 연결할 수 없어/);
    } finally {
      await b.close();
    }
  });
});
