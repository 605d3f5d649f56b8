// Every lesson of the course in Chromium, in English and Korean, against the real labd (lesson
// pages with a lab start it, as for a learner); then lesson 1's <ResultChart> drawn from a result
// file that measure.sh really wrote in a real iptables-vs-ebpf lab. Screenshots: e2e/screenshots/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseLessonSource } from '@ebpf-lab/lab-spec';
import { repoRoot, screenshotDir } from './harness';
import { waitForScreen } from './terminal-screen';
import { browserStack } from './support/stack';

const isRoot = process.getuid?.() === 0;
const LAB = 'iptables-vs-ebpf';
const RESULT = 'results/iptables-vs-ebpf.json';
const HANGUL = /[\uac00-\ud7a3]/;
const contentFile = (locale: string, slug: string) => join(repoRoot, 'content', locale, `${slug}.mdx`);
const slugs = JSON.parse(readFileSync(join(repoRoot, 'content/en/_meta.json'), 'utf8')) as string[];
/** The labs running in this labd's state dir, as `lab list` reports them. */
const runningLabs = (stateDir: string): string[] =>
  (
    JSON.parse(
      spawnSync(process.execPath, [join(repoRoot, 'apps/labd/bin/lab.mjs'), 'list', '--json'], {
        env: { ...process.env, ELAB_STATE_DIR: stateDir },
        encoding: 'utf8',
        timeout: 60_000,
      }).stdout || '[]',
    ) as { labId: string; alive: boolean }[]
  )
    .filter((r) => r.alive)
    .map((r) => r.labId);
const lessonOfLab = (labId: string) =>
  slugs.find((slug) => parseLessonSource(contentFile('en', slug), readFileSync(contentFile('en', slug), 'utf8')).frontMatter.lab === labId)!;
const titleOf = (file: string) => parseLessonSource(file, readFileSync(file, 'utf8')).frontMatter.title;

describe("every lesson, and lesson 1's chart", { skip: !isRoot && 'needs root: labd makes network namespaces' }, () => {
  const fx = browserStack();

  for (const slug of slugs) {
    for (const locale of ['en', 'ko'] as const) {
      it(`/${locale}/${slug} renders its title, no error page${locale === 'ko' ? ', in Korean when translated' : ''}`, async () => {
        const translated = existsSync(contentFile(locale, slug));
        const title = titleOf(contentFile(translated ? locale : 'en', slug));
        const before = fx.pageErrors.length;
        const res = await fx.page.goto(`${fx.web.url}/${locale}/${slug}`);
        assert.equal(res?.status(), 200);
        const lesson = fx.page.getByTestId('lesson');
        await lesson.waitFor();
        assert.equal(await fx.page.getByTestId('lesson-error').count(), 0, 'not the lesson error page');
        assert.equal((await lesson.locator('h1').first().innerText()).trim(), title);
        assert.equal(await fx.page.getByTestId('untranslated').count(), translated ? 0 : 1, translated ? 'no English-fallback notice' : 'the fallback says so');
        if (locale === 'ko' && translated) {
          assert.match(title, HANGUL, `content/ko/${slug}.mdx has a Korean title`);
          assert.equal(await fx.page.locator('.page').getAttribute('lang'), 'ko');
          const prose = await lesson.locator('p, li').allInnerTexts();
          const korean = prose.filter((t) => HANGUL.test(t)).length;
          assert.ok(korean >= prose.length / 2, `most paragraphs are Korean (${korean} of ${prose.length})`);
          if (slug === 'why-ebpf') await fx.page.screenshot({ path: join(screenshotDir, 'lessons-ko-why-ebpf.png') });
        }
        assert.deepEqual(fx.pageErrors.slice(before), [], 'no uncaught exception in the page');
      });
    }
  }

  it('lesson 1: measure.sh with tiny N writes a result file; after a reload <ResultChart> draws iptables and ebpf', async () => {
    // Reading the course started a lab on each lesson fx.page, and labd keeps at most 2 per learner
    // (the panel says: stop one you are done with). So the learner does: Stop lab on each lesson whose
    // lab runs (which those are is lab list's answer), then opens lesson 1, whose panel starts its lab.
    for (const labId of runningLabs(fx.stateDir).filter((l) => l !== LAB)) {
      await fx.page.goto(`${fx.web.url}/en/${lessonOfLab(labId)}`);
      await fx.page.locator('[data-testid=lab-panel][data-lab-state=ready]').waitFor({ timeout: 60_000 });
      await fx.page.getByTestId('lab-stop').click();
      await fx.page.locator('[data-testid=lab-panel][data-lab-state=down]').waitFor({ timeout: 60_000 });
    }
    await fx.page.goto(`${fx.web.url}/en/why-ebpf`);
    const retry = fx.page.getByTestId('lab-panel').getByRole('button', { name: 'Retry' });
    // A lab refused while the others ran shows its error and Retry; a down one starts by itself.
    await Promise.race([
      retry.waitFor({ timeout: 30_000 }).then(() => retry.click()),
      fx.page.locator('[data-testid=lab-panel][data-lab-state=ready]').waitFor({ timeout: 30_000 }),
    ]).catch(() => {});
    await fx.page
      .locator('[data-testid=lab-panel][data-lab-state=ready]')
      .waitFor({ timeout: 90_000 })
      .catch(async (e: Error) => {
        throw new Error(
          `${e.message}\nthe lab panel says: ${await fx.page
            .getByTestId('lab-panel')
            .innerText()
            .catch(() => '?')}\nlabs: ${runningLabs(fx.stateDir).join(', ')}`,
        );
      });
    await fx.page.locator('[data-testid=terminal-lab][data-status=open]').waitFor({ timeout: 60_000 });
    await waitForScreen(fx.page, /[#$]\s*$/m);
    // As a learner gets there: the ebpf step's commands typed in the lesson's terminal (build svclb,
    // attach it), which measure.sh --datapath ebpf needs; its iptables runs bring their own rules.
    await fx.page.locator('[data-testid=terminal-lab] .xterm-helper-textarea').focus();
    await fx.page.keyboard.type('make -s -C bpf svclb && ./bpf/.output/svclb attach --cgroup /sys/fs/cgroup && echo ATTACHED-$((6*7))\n');
    await waitForScreen(fx.page, /^ATTACHED-42\s*$/m, { timeoutMs: 180_000 });
    await fx.page.keyboard.type(
      './measure.sh --datapath iptables --backend nft --n 10,20 --samples 5 --repeat 1 && ./measure.sh --datapath ebpf --n 10,20 --samples 5 --repeat 1 && echo MEASURED-$((6*7))\n',
    );
    await waitForScreen(fx.page, /^MEASURED-42\s*$/m, { timeoutMs: 180_000 });

    const file = (await (await fx.page.request.get(`${fx.web.url}/api/lab/${LAB}/files?path=${encodeURIComponent(RESULT)}`)).json()) as {
      series: { id: string; points: unknown[] }[];
    };
    assert.deepEqual(file.series.map((s) => s.id).sort(), ['ebpf', 'iptables-nft']);
    assert.ok(
      file.series.every((s) => s.points.length === 2),
      'two points (n = 10, 20) in each series',
    );

    await fx.page.reload();
    const chart = fx.page.getByTestId('result-chart');
    await chart.locator('svg.metric-chart').first().waitFor({ timeout: 30_000 });
    assert.match(await chart.locator('.legend').innerText(), /iptables \(nft backend\)[\s\S]*eBPF svclb/);
    const svgs = await chart.locator('svg.metric-chart').evaluateAll((els) =>
      els.map((svg) => ({
        label: svg.getAttribute('aria-label'),
        series: [...svg.querySelectorAll('g')].map((g) => ({
          line: g.querySelector('polyline')?.getAttribute('points')?.trim().split(/\s+/).length ?? 0,
          points: [...g.querySelectorAll('circle')].map((c) => c.querySelector('title')?.textContent ?? ''),
        })),
      })),
    );
    assert.equal(svgs.length, 4, 'one chart per metric');
    for (const svg of svgs) {
      assert.equal(svg.series.length, 2, `${svg.label}: two series`);
      const [ipt, bpf] = svg.series;
      assert.ok(
        ipt!.points.length === 2 && ipt!.points.every((t) => t.startsWith('iptables (nft backend): ')),
        `${svg.label}: iptables points ${JSON.stringify(ipt)}`,
      );
      assert.ok(bpf!.points.length === 2 && bpf!.points.every((t) => t.startsWith('eBPF svclb')), `${svg.label}: ebpf points ${JSON.stringify(bpf)}`);
      assert.ok(ipt!.line === 2 && bpf!.line === 2, `${svg.label}: a line through both points of each series`);
    }
    await chart.scrollIntoViewIfNeeded();
    await chart.screenshot({ path: join(screenshotDir, 'lessons-why-ebpf-chart.png') });
  });
});
