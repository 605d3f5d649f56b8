// A broken lesson renders an error page naming its file and field; every other page still serves.
// Needs no labd: the fixture lessons have no lab.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser';
import { screenshotDir, startWeb, webDir, type Proc } from './harness';

const fixture = join(webDir, 'e2e/fixtures/malformed-lesson');

describe('malformed lessons', () => {
  let web: Proc | undefined;
  before(async () => {
    web = await startWeb({ ELAB_CONTENT_DIR: fixture, ELAB_SERVICE_TOKEN: 'x'.repeat(43) });
  });
  after(async () => {
    await web?.stop();
  });

  // assert.match would print whole pages on failure: say what was missing instead.
  const has = (html: string, re: RegExp, what: string) => assert.ok(re.test(html), `${what} (${re})`);
  const lacks = (html: string, re: RegExp, what: string) => assert.ok(!re.test(html), `${what} (${re})`);
  const get = async (path: string) => {
    const res = await fetch(`${web!.url}${path}`);
    return { status: res.status, html: await res.text() };
  };

  it('missing front matter field: the page names the file and the field', async () => {
    const { status, html } = await get('/en/missing-title');
    assert.equal(status, 200);
    has(html, /data-testid="lesson-error"/, 'an error page');
    has(html, /<code>apps\/web\/e2e\/fixtures\/malformed-lesson\/en\/missing-title\.mdx<\/code>/, 'naming the file');
    has(html, /<code>title<\/code>/, 'naming the field');
  });

  it('an MDX syntax error names the file and its line', async () => {
    const { html } = await get('/en/bad-mdx');
    has(html, /<code>apps\/web\/e2e\/fixtures\/malformed-lesson\/en\/bad-mdx\.mdx<\/code>/, 'naming the file');
    // The unclosed <Note> is on line 8 of the file (line 4 of the body after 4 front matter lines).
    has(html, /<code>line 8, column 1<\/code>: (<!-- -->)?MDX: Expected a closing tag/, 'naming the line in the file');
  });

  it('the other lessons, the sidebar and the Korean page still serve', async () => {
    const good = await get('/en/good');
    assert.equal(good.status, 200);
    has(good.html, /still serves/, 'the good lesson renders');
    has(good.html, /data-testid="run-block"/, 'its ```bash run``` block has a Run button');
    has(good.html, /<pre class="shiki/, 'code is highlighted on the server');
    has(good.html, /Broken MDX/, 'the sidebar lists the broken lessons too');
    const ko = await get('/ko/good');
    has(ko.html, /계속 동작합니다/, 'the Korean lesson renders');
    lacks(ko.html, /data-testid="untranslated"/, 'a translated lesson has no notice');
    const fallback = await get('/ko/only-english');
    has(fallback.html, /data-testid="untranslated"/, 'an untranslated lesson says so');
    has(fallback.html, /English only\./, 'and shows the English lesson');
    assert.equal((await get('/en/no-such-lesson')).status, 404);
  });

  it('looks right in a browser', async () => {
    const b = await launchChromium({ width: 1200, height: 700 });
    try {
      const page = await b.context.newPage();
      await page.goto(`${web!.url}/en/missing-title`);
      await page.getByTestId('lesson-error').waitFor();
      await page.screenshot({ path: join(screenshotDir, 'malformed-1-error-page.png') });
      await page.goto(`${web!.url}/en/good`);
      await page.getByTestId('lesson').waitFor();
      await page.screenshot({ path: join(screenshotDir, 'malformed-2-good-lesson.png') });
    } finally {
      await b.close();
    }
  });
});
