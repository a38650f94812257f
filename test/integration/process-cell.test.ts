/**
 * The bench's whole-process cells on a tiny data set: `tessera run` and the sharp script
 * as child processes, timed with sh's `times`, every output checked. Shapes and
 * verification only: no timing thresholds.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from 'tessera/internal/io/decode';
import { applyReference } from 'tessera/internal/reference/apply-reference';
import { loadFilter } from 'tessera/internal/filter/filter-module';
import { resolveParams } from 'tessera/internal/filter/params';
import { processInputFolder, runProcessCell, type ProcessInput } from 'tessera-bench/process/process-cells';
import { parseTimes, timeProcess } from 'tessera-bench/process/time-process';
import type { BenchReport, ProcessCell } from 'tessera-bench/types';
import { requireChromium, withOfflinePage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { rng } from '../helpers/images.js';
import { tempDir } from '../helpers/temp.js';

const tmp = tempDir('tessera-process-');
const inputDir = join(tmp.dir, 'in');
const files: string[] = [];
const sizes = new Map<string, { width: number; height: number }>();

before(async () => {
  mkdirSync(inputDir);
  const next = rng(11);
  for (const [k, [w, h]] of [[97, 61], [64, 45]].entries()) {
    const rgb = new Uint8Array(w * h * 3).map(() => Math.floor(next() * 256));
    const file = join(inputDir, `img${k}.png`);
    writeFileSync(file, await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
    files.push(file);
    sizes.set(file, { width: w, height: h });
  }
});

after(tmp.cleanup);

async function expectedFor(filter: string, sigma: number, of: string[]): Promise<Map<string, Uint8Array>> {
  const module = loadFilter(filter);
  const params = resolveParams(module.manifest, filter === 'gaussian-blur' ? { sigma } : {});
  const out = new Map<string, Uint8Array>();
  for (const f of of) {
    const img = await decodeImage(f);
    out.set(f, applyReference(module.name, params, img.data, img.width, img.height));
  }
  return out;
}

const CELL_KEYS = ['cpuRatio', 'filter', 'images', 'input', 'loadAverage', 'megapixels', 'sharp', 'sharpSettings', 'tessera', 'wallRatio', 'warmup'];
const COMMAND_KEYS = ['command', 'cpu', 'cpuMs', 'name', 'outputBytes', 'runs', 'sysMs', 'userMs', 'verified', 'wall', 'wallMs', ...(process.platform === 'linux' ? ['peakRssMb'] : [])].sort();

function assertCellShape(c: ProcessCell, pairs: number): void {
  assert.deepEqual(Object.keys(c).sort(), CELL_KEYS);
  for (const r of [c.tessera, c.sharp]) {
    assert.deepEqual(Object.keys(r).sort(), COMMAND_KEYS, `${r.name} fields`);
    assert.equal(r.runs, pairs);
    for (const series of [r.wallMs, r.cpuMs, r.userMs, r.sysMs]) {
      assert.equal(series.length, pairs);
      assert.ok(series.every((v) => Number.isFinite(v) && v >= 0), `${r.name}: ${series}`);
    }
    r.cpuMs.forEach((v, i) => assert.ok(Math.abs(v - r.userMs[i] - r.sysMs[i]) < 1e-9, 'cpu = user + sys'));
    assert.ok(r.wall.min <= r.wall.median && r.wall.median <= r.wall.max);
    assert.ok(r.wallMs.every((v) => v > 0), 'a process takes time');
    assert.ok(r.outputBytes > 0);
    if (process.platform === 'linux') assert.ok(r.peakRssMb! > 10, `${r.name}: a Node process is more than 10 MiB (${r.peakRssMb})`);
  }
  assert.equal(c.tessera.name, 'tessera');
  assert.equal(c.sharp.name, 'sharp');
  assert.match(c.tessera.command, /^tessera run --filter \S+ .*--input <input> --output <output> --no-progress$/);
  for (const ratio of [c.wallRatio, c.cpuRatio]) assert.ok(ratio.min <= ratio.median && ratio.median <= ratio.max);
  assert.ok(Number.isFinite(c.wallRatio.median) && c.wallRatio.median > 0);
}

test('parseTimes reads the children line of sh `times` (dash, bash) and says what it got otherwise', () => {
  assert.deepEqual(parseTimes('24/24 images\n0m0.010000s 0m0.000000s\n0m1.230000s 0m0.110000s\n'), { userMs: 1230, sysMs: 110, rest: '24/24 images' });
  const bash = parseTimes('0m0.002s 0m0.001s\n1m2.500s 0m0.250s');
  assert.equal(bash.userMs, 62_500);
  assert.equal(bash.sysMs, 250);
  assert.throws(() => parseTimes('no times here\n'), /cannot read the command's CPU time.*"no times here"/);
});

test('timeProcess times a child, and names a failing one', async () => {
  const r = await timeProcess([process.execPath, '-e', 'process.stderr.write("hi\\n")']);
  assert.ok(r.wallMs > 0 && r.userMs >= 0 && r.sysMs >= 0);
  assert.equal(r.stderr, 'hi');
  await assert.rejects(timeProcess([process.execPath, '-e', 'console.error("broken"); process.exit(3)']), (err: Error) => {
    assert.match(err.message, /exited with 3:\nbroken$/);
    return true;
  });
});

for (const filter of ['grayscale', 'gaussian-blur'] as const) {
  test(`${filter}: tessera run and the sharp script as processes, verified`, async () => {
    const input: ProcessInput = { kind: 'dataset', path: inputDir, files, sizes, megapixels: 0.01 };
    const cell = await runProcessCell({ filter, sigma: 2, input, expected: await expectedFor(filter, 2, files), pairs: 2, scratch: tmp.dir });
    assertCellShape(cell, 2);
    assert.equal(cell.filter, filter);
    assert.equal(cell.images, 2);
    assert.equal(cell.tessera.verified, true, 'tessera bit-identical to the reference');
    assert.equal(cell.sharp.verified, true, 'sharp wrote PNGs of the right size and layout');
    assert.deepEqual(cell.sharpSettings.png, { compressionLevel: 6, adaptiveFiltering: false });
    assert.equal(cell.sharpSettings.imagesInFlight, 8);
  });
}

test('a whole-process cell whose outputs differ from the reference is not verified', async () => {
  const one = files.slice(0, 1);
  const wrong = await expectedFor('invert', 2, one);
  const input: ProcessInput = { kind: 'image', path: one[0], files: one, sizes, megapixels: 0.006 };
  const cell = await runProcessCell({ filter: 'grayscale', sigma: 2, input, expected: wrong, pairs: 1, warmup: 0, scratch: tmp.dir });
  assert.equal(cell.tessera.verified, false);
  assert.equal(cell.sharp.verified, true);
});

test('processInputFolder: the folder itself when it holds exactly the images, else a copy of them', () => {
  assert.equal(processInputFolder(inputDir, files, tmp.dir), inputDir);
  const copy = processInputFolder(inputDir, files.slice(1), tmp.dir);
  assert.notEqual(copy, inputDir);
  assert.deepEqual(readFileSync(join(copy, 'img1.png')), readFileSync(files[1]));
});

test('tessera bench --process-repeat 1 writes whole-process cells to bench.json, bench.md and report.html', async (t) => {
  const out = tempDir('tessera-process-bench-');
  t.after(out.cleanup);
  const r = await runCli(
    ['bench', '--input', inputDir, '--filters', 'grayscale', '--strategies', 'shared', '--workers', '1', '--peers', 'none', '--repeat', '1', '--process-repeat', '1', '--out', out.dir],
    { timeoutMs: 120_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(join(out.dir, 'bench.json'), 'utf8')) as BenchReport;
  assert.equal(report.settings.processRepeat, 1);
  assert.deepEqual(report.processCells!.map((c) => [c.filter, c.input, c.images]), [['grayscale', 'dataset', 2], ['grayscale', 'image', 1]]);
  for (const c of report.processCells!) {
    assertCellShape(c, 1);
    assert.ok(c.tessera.verified && c.sharp.verified, `${c.input}: outputs verified`);
  }
  const md = readFileSync(join(out.dir, 'bench.md'), 'utf8');
  assert.match(md, /## grayscale: the ladder — in-process \(warm\)/);
  assert.match(md, /## grayscale: whole process, as a user runs it\n/);
  assert.match(md, /\| 2 images, 0\.01 Mpx \| `tessera run` \| 1 \|/);
  assert.match(md, /\| one image, 0\.01 Mpx \| \*\*tessera \/ sharp\*\* \| 1 pairs \| \*\*\d+\.\d\d×\*\* \|/);
  const html = readFileSync(join(out.dir, 'report.html'), 'utf8');
  assert.match(html, /<table class="process">/);
  assert.match(html, /<a href="#process">Whole process<\/a>/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'still no script, no external resource');
  assert.match(r.stderr, /grayscale whole process, 2 images: tessera \d+ ms \(CPU \d+ ms\) vs sharp \d+ ms/);
  await t.test('the whole-process panel renders in headless Chromium, offline', { skip: requireChromium() }, async () => {
    await withOfflinePage(join(out.dir, 'report.html'), async (page) => {
      assert.equal(await page.locator('#process table.process tbody tr').count(), 6, 'two cells × (tessera, sharp, ratio)');
      const box = await page.locator('#process table.process').boundingBox();
      assert.ok(box && box.width > 400 && box.height > 100, 'the table is laid out');
    });
  });
});

test('tessera bench --process-repeat rejects what is not an integer >= 0', async () => {
  const bad = await runCli(['bench', '--process-repeat', '-1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--process-repeat expects an integer >= 0/);
});
