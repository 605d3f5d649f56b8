// The XDP lesson in Chromium against the real labd, in English and Korean, with its <ResultChart>
// drawn from a result file that measure.sh really wrote in a real xdp lab: labd solves the xdp, tc
// and iptables steps, the learner's terminal runs a short measure, the chart draws three series.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshotDir } from './harness';
import { waitForScreen } from './terminal-screen';
import { browserStack, resetToStep } from './support/stack';

const isRoot = process.getuid?.() === 0;
const LAB = 'xdp';
const RESULT = 'results/xdp.json';
/** What the reader sees, in the lesson's language: the result file holds data; the lesson names the chart. */
const WORDS = {
  en: {
    title: /^Dropping a UDP flood: XDP, tc and iptables\b/,
    metrics: ['Packets dropped per second', 'Packets the flood sent per second'],
    legend: /XDP \(xdp_drop on veth\)[\s\S]*tc clsact ingress[\s\S]*iptables raw PREROUTING/,
    env: /^kernel: /,
  },
  ko: {
    title: /^UDP 플러드 드롭하기: XDP, tc, iptables\b/,
    metrics: ['초당 드롭한 패킷', '플러드가 초당 보낸 패킷'],
    legend: /XDP \(veth의 xdp_drop\)[\s\S]*tc clsact 인그레스[\s\S]*iptables raw PREROUTING/,
    env: /^커널: /,
  },
};

interface Drawn {
  label: string | null;
  series: { line: number; points: string[] }[];
}

async function drawnCharts(page: Page, words: (typeof WORDS)['en']): Promise<Drawn[]> {
  const chart = page.getByTestId('result-chart');
  await chart.locator('svg.metric-chart').first().waitFor({ timeout: 30_000 });
  assert.match(await chart.locator('.legend').innerText(), words.legend);
  assert.match(await chart.getByTestId('result-chart-title').innerText(), words.title, "the title is the lesson's, in its language");
  assert.match(await chart.locator('.env').innerText(), words.env);
  return chart.locator('svg.metric-chart').evaluateAll((els) =>
    els.map((svg) => ({
      label: svg.getAttribute('aria-label'),
      series: [...svg.querySelectorAll('g')].map((g) => ({
        line: g.querySelector('polyline')?.getAttribute('points')?.trim().split(/\s+/).length ?? 0,
        points: [...g.querySelectorAll('circle')].map((c) => c.querySelector('title')?.textContent ?? ''),
      })),
    })),
  );
}

describe('the XDP lesson and its measured chart', { skip: !isRoot && 'needs root: labd makes network namespaces' }, () => {
  const fx = browserStack();

  it('measure.sh in the lesson terminal writes results/xdp.json; <ResultChart> draws xdp, tc and iptables in en and ko', async () => {
    await fx.page.goto(`${fx.web.url}/en/xdp`);
    await fx.page.locator('[data-testid=lab-panel][data-lab-state=ready]').waitFor({ timeout: 90_000 });
    // Straight to the measure step: labd runs the solve.sh of xdp, tc and iptables.
    await resetToStep(fx, LAB, 'measure');
    await fx.page.keyboard.type('./measure.sh --sizes 64,1400 --seconds 1 && echo MEASURED-$((6*7))\n');
    await waitForScreen(fx.page, /^MEASURED-42\s*$/m, { timeoutMs: 180_000 });

    const file = (await (await fx.page.request.get(`${fx.web.url}/api/lab/${LAB}/files?path=${encodeURIComponent(RESULT)}`)).json()) as {
      series: { id: string; points: { size: number; droppedPps: number; sentPps: number }[] }[];
    };
    assert.deepEqual(file.series.map((s) => s.id).sort(), ['iptables', 'tc', 'xdp']);
    for (const s of file.series) {
      assert.deepEqual(
        s.points.map((p) => p.size),
        [64, 1400],
        `${s.id}: one point per payload size`,
      );
      assert.ok(
        s.points.every((p) => p.droppedPps > 0 && p.droppedPps <= p.sentPps * 1.05),
        `${s.id}: measured, dropped ≤ sent: ${JSON.stringify(s.points)}`,
      );
    }

    for (const locale of ['en', 'ko'] as const) {
      const before = fx.pageErrors.length;
      await fx.page.goto(`${fx.web.url}/${locale}/xdp`);
      const svgs = await drawnCharts(fx.page, WORDS[locale]);
      assert.deepEqual(
        svgs.map((svg) => svg.label),
        WORDS[locale].metrics,
        "one chart per metric (dropped pps, sent pps), named in the page's language",
      );
      for (const svg of svgs) {
        assert.equal(svg.series.length, 3, `${svg.label}: three series`);
        for (const s of svg.series) assert.ok(s.points.length === 2 && s.line === 2, `${svg.label}: two points joined by a line: ${JSON.stringify(s)}`);
      }
      // The circles' titles carry the file's own numbers, so the chart shows what was measured.
      const xdp64 = file.series.find((s) => s.id === 'xdp')!.points[0]!.droppedPps;
      assert.ok(
        svgs[0]!.series[0]!.points.some((t) => t.includes(`${xdp64} pps`)),
        `the xdp 64 B point shows ${xdp64} pps`,
      );
      const chart = fx.page.getByTestId('result-chart');
      await chart.scrollIntoViewIfNeeded();
      await chart.screenshot({ path: join(screenshotDir, `xdp-chart-${locale}.png`) });
      assert.deepEqual(fx.pageErrors.slice(before), [], 'no uncaught exception in the page');
      // The chart's visible words, not only attributes: the title and a metric name are on screen.
      assert.ok(await chart.getByText(WORDS[locale].metrics[0]!, { exact: true }).isVisible(), `"${WORDS[locale].metrics[0]}" is on screen`);
    }
  });
});
