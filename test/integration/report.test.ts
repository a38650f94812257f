/** The HTML report in a real browser: every chart rendered, nothing fetched, no console errors. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { StartupReport } from 'tessera-bench/startup/types';
import type { BenchReport } from 'tessera-bench/types';
import { writeHtmlReport } from 'tessera-bench/report/html-report';
import { REPO_ROOT, runCli, tempDir } from '../helpers/index.js';

const CHROMIUM = '/usr/bin/chromium';
const FIXTURES = join(REPO_ROOT, 'test/fixtures');
const CHARTS = ['ladder', 'stages', 'scaling', 'peers', 'isolation', 'startup', 'tiers', 'density', 'artifacts'];

test('report.html renders every chart in headless Chromium, offline, without console errors', async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) assert.fail(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
    t.skip(`no ${CHROMIUM}: apt-get install chromium`);
    return;
  }
  const tmp = tempDir('tessera-report-');
  t.after(tmp.cleanup);
  const bench = JSON.parse(readFileSync(join(FIXTURES, 'bench.json'), 'utf8')) as BenchReport;
  const startup = JSON.parse(readFileSync(join(FIXTURES, 'startup.json'), 'utf8')) as StartupReport;
  const file = await writeHtmlReport(bench, join(tmp.dir, 'report.html'), startup);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    // Only the report file itself may load: anything else is recorded and refused.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url === pathToFileURL(file).href) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href);
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
    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(requests, [], 'nothing fetched from the network');
    assert.ok((await page.locator('table').count()) >= 5, 'the benchmark tables are there');
    assert.equal(await page.locator('table.ladder').count(), 2, 'a ladder table per filter');
    assert.equal(await page.locator('.card').count(), 3, 'the three targets');
    assert.equal(await page.locator('script').count(), 0, 'no script in the page');
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts/report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
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
