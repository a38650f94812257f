/** The HTML report in a real browser: every chart rendered, nothing fetched, no console errors. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StartupReport } from 'tessera-bench/startup/types';
import type { BenchReport } from 'tessera-bench/types';
import { writeHtmlReport } from 'tessera-bench/report/html-report';
import { requireChromium, withOfflinePage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES, REPO_ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

const CHARTS = ['ladder', 'stages', 'scaling', 'peers', 'isolation', 'startup', 'tiers', 'density', 'artifacts'];

test('report.html renders every chart in headless Chromium, offline, without console errors', { skip: requireChromium() }, async (t) => {
  const tmp = tempDir('tessera-report-');
  t.after(tmp.cleanup);
  const bench = JSON.parse(readFileSync(join(FIXTURES, 'bench.json'), 'utf8')) as BenchReport;
  const startup = JSON.parse(readFileSync(join(FIXTURES, 'startup.json'), 'utf8')) as StartupReport;
  const file = await writeHtmlReport(bench, join(tmp.dir, 'report.html'), startup);
  await withOfflinePage(file, async (page) => {
    for (const id of CHARTS) {
      // Data marks (bars, lines, points: SVG paths or rects) drawn with a visible size, not just axes and grid.
      const marks = await page.evaluate((chart) => {
        const svg = document.querySelector(`section[data-chart="${chart}"] svg`);
        if (!svg) return { svg: false, visible: 0, text: 0 };
        const shapes = Array.from(svg.querySelectorAll('[role="graphics-symbol"]')).filter((m) => m.tagName === 'path' || m.tagName === 'rect');
        const visible = shapes.filter((m) => {
          const box = (m as SVGGraphicsElement).getBBox();
          return box.width > 0.5 || box.height > 0.5;
        }).length;
        return { svg: true, visible, text: svg.querySelectorAll('text').length };
      }, id);
      assert.ok(marks.svg, `chart ${id} has an SVG`);
      assert.ok(marks.visible >= 3, `chart ${id} draws its data (${marks.visible} visible marks)`);
      assert.ok(marks.text > 3, `chart ${id} has axis labels`);
      const size = await page.locator(`section[data-chart="${id}"] svg`).first().boundingBox();
      assert.ok(size && size.width > 100 && size.height > 100, `chart ${id} has a size`);
    }
    assert.ok((await page.locator('table').count()) >= 5, 'the benchmark tables are there');
    assert.equal(await page.locator('table.ladder').count(), 2, 'a ladder table per filter');
    assert.equal(await page.locator('.card').count(), 3, 'the three targets');
    assert.equal(await page.locator('script').count(), 0, 'no script in the page');
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts/report.png'), fullPage: true });
  });
});

test('tessera report rebuilds report.html from saved results', async (t) => {
  const tmp = tempDir('tessera-report-cli-');
  t.after(tmp.cleanup);
  const out = join(tmp.dir, 'r.html');
  const r = await runCli(['report', join(FIXTURES, 'bench.json'), join(FIXTURES, 'startup.json'), '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  for (const id of CHARTS) assert.match(html, new RegExp(`data-chart="${id}"`));
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'no script, no external resource');
  const bad = await runCli(['report', join(tmp.dir, 'missing.json'), '-o', out]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /missing\.json/);
});
