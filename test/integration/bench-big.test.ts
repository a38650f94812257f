/**
 * The bench's big case on tiny sides: the mosaic it generates, `tessera run` and the sharp
 * script as child processes at every size, the outputs checked on a band of rows, and the
 * figures in bench.json, bench.md and the report's memory chart. Shapes and verification
 * only: no timing thresholds.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { bandDifference, middleBand, readBand, referenceBand } from 'tessera-bench/big/band-check';
import { bigBenchImage, mosaicLayout, mosaicPath } from 'tessera-bench/big/mosaic';
import type { BenchReport } from 'tessera-bench/types';
import { loadFilter } from 'tessera/internal/filter/filter-module';
import { resolveParams } from 'tessera/internal/filter/params';
import { requireChromium, withOfflinePage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { rng } from '../helpers/images.js';
import { tempDir } from '../helpers/temp.js';

const SIDES = [300, 600];

/** A one-image input for the in-process part of the bench, so that the run is mostly the big case. */
const tiny = tempDir('tessera-big-in-');
before(async () => {
  const next = rng(5);
  const rgb = new Uint8Array(64 * 48 * 3).map(() => Math.floor(next() * 256));
  writeFileSync(join(tiny.dir, 'tiny.png'), await sharp(rgb, { raw: { width: 64, height: 48, channels: 3 } }).png().toBuffer());
});
after(tiny.cleanup);

/** `tessera bench` on the tiny input, gaussian-blur only, one run of everything, plus `extra`. */
function bench(out: string, extra: string[]) {
  return runCli(
    ['bench', '--input', tiny.dir, '--filters', 'gaussian-blur', '--strategies', 'shared', '--workers', '1', '--peers', 'none', '--repeat', '1', '--warmup', '0', '--process-repeat', '1', '--out', out, ...extra],
    { timeoutMs: 120_000 },
  );
}

test('mosaicLayout covers the square with 768×512 pieces, cut at the right and bottom, no picture beside or above itself', () => {
  const pieces = mosaicLayout(2000, 18);
  assert.equal(pieces.length, 3 * 4);
  assert.equal(pieces.reduce((n, p) => n + p.width * p.height, 0), 2000 * 2000, 'the pieces cover the square once');
  assert.deepEqual(pieces.at(-1), { image: (3 * 5 + 2) % 18, left: 1536, top: 1536, width: 464, height: 464 });
  const at = new Map(pieces.map((p) => [`${p.left},${p.top}`, p.image]));
  for (const p of pieces) {
    for (const [dx, dy] of [[768, 0], [0, 512]]) {
      const next = at.get(`${p.left + dx},${p.top + dy}`);
      if (next !== undefined) assert.notEqual(next, p.image, `piece at ${p.left},${p.top}`);
    }
  }
  assert.deepEqual(mosaicLayout(300, 18), [{ image: 0, left: 0, top: 0, width: 300, height: 300 }]);
});

test('the band check: the reference band of a blur is not the input, and a band equals itself', async () => {
  const file = await bigBenchImage(SIDES[1]);
  assert.equal(file, mosaicPath(SIDES[1], 1));
  const meta = await sharp(file).metadata();
  assert.deepEqual([meta.width, meta.height, meta.channels, meta.format], [600, 600, 3, 'png']);
  const band = middleBand(600);
  assert.deepEqual(band, { top: 172, rows: 256 });
  const input = await readBand(file, band);
  assert.deepEqual(bandDifference(input, input), { meanAbsDiff: 0, maxAbsDiff: 0 });
  const params = resolveParams(loadFilter('gaussian-blur').manifest, { sigma: 2 });
  const blurred = await referenceBand(file, 'gaussian-blur', params, band, 600);
  const d = bandDifference(input, blurred);
  assert.ok(d.maxAbsDiff > 20 && d.meanAbsDiff > 1, `a blur changes a photo-like mosaic (${JSON.stringify(d)})`);
  assert.equal(bandDifference(input, { ...blurred, rows: 255 }).meanAbsDiff, Infinity, 'bands of different shapes never match');
});

test('tessera bench --big-sizes 300,600: both commands at every size, verified, in bench.json, bench.md and the memory chart', async (t) => {
  const out = tempDir('tessera-big-bench-');
  t.after(out.cleanup);
  const r = await bench(out.dir, ['--big-sizes', SIDES.join(',')]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(join(out.dir, 'bench.json'), 'utf8')) as BenchReport;
  const big = report.big!;
  assert.ok(big, 'bench.json has the big case');
  assert.equal(big.filter, 'gaussian-blur');
  assert.equal(big.pairs, 1, '--process-repeat sets the headline pairs');
  assert.deepEqual(big.sizes.map((b) => [b.side, b.headline]), [[300, false], [600, true]]);
  for (const b of big.sizes) {
    assert.equal(b.megapixels, (b.side * b.side) / 1e6);
    assert.ok(b.inputBytes > 0);
    assert.deepEqual([b.tessera.name, b.sharp.name], ['tessera', 'sharp']);
    for (const c of [b.tessera, b.sharp]) {
      assert.equal(c.runs, 1);
      assert.ok(c.wall.median > 0 && c.cpu.median > 0, `${c.name} ${b.side}: wall ${c.wall.median} ms, CPU ${c.cpu.median} ms`);
      if (process.platform === 'linux') assert.ok(c.peakRssMb! > 10, `${c.name} ${b.side}: peak RSS ${c.peakRssMb} MiB`);
      assert.ok(c.outputBytes > 0);
      assert.equal(c.verified, true, `${c.name} ${b.side} verified`);
    }
    assert.match(b.tessera.command, /^tessera run --filter gaussian-blur --param sigma=2 --input <input> --output <output> --no-progress$/);
    assert.ok(b.wallRatio.median > 0 && b.cpuRatio.median > 0);
    if (process.platform === 'linux') assert.ok(b.rssRatio! > 0);
    assert.equal(b.check.referenceExact, true, 'tessera bit-identical to the reference on the band');
    assert.ok(b.check.meanAbsDiff <= b.check.tolerance, `close to sharp (${b.check.meanAbsDiff})`);
    assert.equal(b.check.rows, 256);
  }
  assert.match(r.stderr, /gaussian-blur whole process, one 600×600 image \(0\.36 Mpx\): tessera \d+ ms \(CPU \d+ ms, peak \d+ MiB\) vs sharp \d+ ms/);

  const md = readFileSync(join(out.dir, 'bench.md'), 'utf8');
  assert.match(md, /## gaussian-blur σ=2: one large image — whole process, as a user runs it\n/);
  assert.match(md, /\| 300×300 \(0\.09 Mpx\) \| 1 \| \d+ ms \| \d+ ms \| \d+ \| \d+ ms \| \d+ ms \| \d+ \| \d+\.\d\d× \|/);
  assert.match(md, /\| \*\*600×600 \(0\.36 Mpx\)\*\* \| 1 \|.*\| ✓ \|$/m);

  const html = readFileSync(join(out.dir, 'report.html'), 'utf8');
  assert.match(html, /<a href="#big">One large image<\/a>/);
  assert.match(html, /<table class="process big">/);
  const chart = /<section class="panel chart" id="chart-big-memory" data-chart="big-memory">.*?<\/section>/s.exec(html)?.[0];
  assert.ok(chart, 'the memory chart is in the report');
  assert.match(chart, /Peak memory against image size/);
  for (const label of ['tessera run', 'sharp script', 'peak RSS, MiB', 'image size, megapixels']) assert.ok(chart.includes(label), `the chart shows "${label}"`);
  assert.ok((chart.match(/role="graphics-symbol"/g) ?? []).length >= 3 * SIDES.length, 'a point per tool and size');
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'still no script, no external resource');
  await t.test('the memory chart renders in headless Chromium, offline', { skip: requireChromium() }, async () => {
    await withOfflinePage(join(out.dir, 'report.html'), async (page) => {
      const box = await page.locator('section[data-chart="big-memory"] svg').first().boundingBox();
      assert.ok(box && box.width > 300 && box.height > 150, 'the chart is laid out');
      assert.equal(await page.locator('#big ~ section table.big tbody tr').count(), SIDES.length);
    });
  });
});

test('tessera bench --no-big leaves the big case out, and --big-sizes says what it expects', async (t) => {
  const out = tempDir('tessera-big-off-');
  t.after(out.cleanup);
  const r = await bench(out.dir, ['--no-big']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(join(out.dir, 'bench.json'), 'utf8')) as BenchReport;
  assert.equal(report.big, undefined);
  assert.doesNotMatch(readFileSync(join(out.dir, 'report.html'), 'utf8'), /data-chart="big-memory"/);
  for (const [value, message] of [['0', /--big-sizes expects sides in pixels between 1 and 16383 .*got 0/], ['20000', /between 1 and 16383/], ['1000,big', /--big-sizes expects a comma list of sides in pixels/]] as const) {
    const bad = await runCli(['bench', '--big-sizes', value]);
    assert.equal(bad.code, 2, `--big-sizes ${value}`);
    assert.match(bad.stderr, message);
  }
});
