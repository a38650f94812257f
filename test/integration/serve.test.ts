/**
 * `tessera serve` in a real browser (Debian's Chromium through playwright-core): the page
 * decodes, filters on its Web Workers and encodes, and what "Download" saves is compared
 * with `tessera run`'s output for the same input — every chunk but IDAT byte for byte, the
 * inflated IDAT byte for byte (so the pixels, channel layout and depth are identical), and
 * the whole file's bytes reported (libvips deflates with zlib-ng, the page with fflate).
 * Cross-origin isolated (shared memory) and not (--no-isolation: the copy fallback).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import type { ApiFilterList } from '../../src/serve/api-types.js';
import { requireChromium, withLocalPage, type LocalPageLog } from '../helpers/browser.js';
import { buildFilter, CLI, REPO_ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { abiFilterWat, writeWasm } from '../helpers/wat.js';

/** A running `tessera serve` child process. */
interface Served {
  url: string;
  stop(): Promise<void>;
}

/** Starts the built CLI's `tessera serve --port 0 …` and waits for the URL it prints. */
function startServe(args: string[]): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tessera serve printed no URL within 20 s\n${out}${err}`));
    }, 20_000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0];
      if (!url) return;
      clearTimeout(timer);
      resolve({
        url,
        stop: () => new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tessera serve exited with ${code} before printing its URL\n${out}${err}`));
    });
  });
}

/** A PNG's chunks, in order. */
function chunks(png: Uint8Array): Array<{ type: string; data: Buffer }> {
  const b = Buffer.from(png);
  const out: Array<{ type: string; data: Buffer }> = [];
  for (let at = 8; at < b.length; ) {
    const length = b.readUInt32BE(at);
    out.push({ type: b.toString('latin1', at + 4, at + 8), data: b.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

/**
 * Asserts the page's PNG is tessera run's but for the deflate coding: the same chunks in
 * the same order (IDAT chunk count aside), the same header and pHYs, the same inflated
 * scanlines. Returns whether the files are byte-identical as well.
 */
function assertSamePng(page: Uint8Array, cli: Uint8Array, what: string): boolean {
  const a = chunks(page);
  const b = chunks(cli);
  const outside = (c: typeof a) => c.filter((x) => x.type !== 'IDAT').map((x) => `${x.type}:${x.data.toString('hex')}`);
  assert.deepEqual(outside(a), outside(b), `${what}: every chunk but IDAT is tessera run's`);
  const firstIdat = (c: typeof a) => c.findIndex((x) => x.type === 'IDAT');
  assert.equal(firstIdat(a), firstIdat(b), `${what}: IDAT where tessera run puts it`);
  const inflated = (c: typeof a) => inflateSync(Buffer.concat(c.filter((x) => x.type === 'IDAT').map((x) => x.data)));
  const pa = inflated(a);
  const pb = inflated(b);
  if (!pa.equals(pb)) {
    const i = pa.findIndex((v, k) => v !== pb[k]);
    assert.fail(`${what}: the scanlines differ from tessera run's at byte ${i} of ${pb.length} (page ${pa[i]}, tessera run ${pb[i]})`);
  }
  return Buffer.from(page).equals(Buffer.from(cli));
}

/** A 300×200 RGBA PNG (not a multiple of 256) with opaque, semi-transparent and clear pixels, gradients and noise. */
async function writeTestPng(file: string, width = 300, height = 200, alpha = true): Promise<void> {
  const d = new Uint8Array(width * height * 4);
  let s = 12345;
  const noise = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) & 255;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const disc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2;
      d[i] = disc ? noise() : Math.floor((x * 255) / width);
      d[i + 1] = disc ? noise() : Math.floor((y * 255) / height);
      d[i + 2] = (x ^ y) & 255;
      d[i + 3] = x < width / 3 ? 255 : x < (2 * width) / 3 ? noise() | 1 : (x + y) & 255;
    }
  }
  let img = sharp(d, { raw: { width, height, channels: 4 } });
  if (!alpha) img = img.removeAlpha();
  await img.png().toFile(file);
}

/** The built-ins and their default params (as the page's sliders start), from the server's list. */
async function builtinDefaults(url: string): Promise<Map<string, Record<string, number>>> {
  const list = (await (await fetch(`${url}api/filters`)).json()) as ApiFilterList;
  return new Map(list.filters.filter((f) => f.builtin).map((f) => [f.name, Object.fromEntries(f.params.map((p) => [p.name, p.default]))]));
}

/** One run in the page: the filter's option label and name, the params the run must have, what to change first. */
interface PageRun {
  label: string;
  name: string;
  /** Every param of the run, as the page reports it (data-params). */
  params: Record<string, number>;
  /** Sliders to move first. */
  set?: Record<string, number>;
  tile?: number;
  /** An image to load first (loading one reruns the selected filter). */
  image?: string;
}

/** Loads the image, selects the filter, moves the sliders as asked, waits for that run to finish and saves the download. */
async function runInPage(page: Page, run: PageRun): Promise<Uint8Array> {
  const tile = run.tile ?? 256;
  const before = Number((await page.locator('#result').getAttribute('data-run')) ?? 0);
  if (run.image) await page.getByLabel('Image', { exact: true }).setInputFiles(run.image);
  await page.getByLabel('Filter', { exact: true }).selectOption({ label: run.label });
  for (const [param, value] of Object.entries(run.set ?? {})) await page.getByLabel(param, { exact: true }).fill(String(value));
  const tileInput = page.getByLabel('Tile size', { exact: true });
  if ((await tileInput.inputValue()) !== String(tile)) await tileInput.fill(String(tile));
  const state = await page.waitForFunction(
    ({ name, params, before, tile }) => {
      const r = document.getElementById('result')!;
      if (r.dataset.state === 'error') return `error: ${document.getElementById('error')!.textContent}`;
      return r.dataset.state === 'done' && r.dataset.filter === name && r.dataset.params === params && r.dataset.tile === String(tile) && Number(r.dataset.run) > before && 'done';
    },
    { name: run.name, params: JSON.stringify(run.params), before, tile },
    { timeout: 30_000 },
  );
  assert.equal(await state.jsonValue(), 'done', `${run.name} ran in the page`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()]);
  return readFileSync((await download.path())!);
}

/** tessera run's output for `input` (one file) with `filter` and `params`. */
async function runCliOutput(input: string, out: string, filter: string, params: Record<string, number> = {}, extra: string[] = []): Promise<Uint8Array> {
  const args = ['run', '-f', filter, '-i', input, '-o', out, '--no-progress', ...Object.entries(params).flatMap(([k, v]) => ['-p', `${k}=${v}`]), ...extra];
  const r = await runCli(args);
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(join(out, readdirSync(out)[0]));
}

/** A path under dist/test-artifacts/ for a file a person may look at after the run. */
function artifact(name: string): string {
  const dir = join(REPO_ROOT, 'dist/test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** The page fetched its filter modules from the server (and, by withLocalPage, from nowhere else). */
function assertFetchedFilters(log: LocalPageLog): void {
  assert.ok(log.requests.some((r) => r.endsWith('.shared.wasm') || r.endsWith('.wasm')), 'the page fetched the filter modules from the server');
}

test('tessera serve: the page filters in shared memory, bit-exact with tessera run', { skip: requireChromium() }, async (t) => {
  const tmp = tempDir('tessera-serve-');
  t.after(tmp.cleanup);
  const input = join(tmp.dir, 'photo.png');
  await writeTestPng(input);
  // A user's filter directory: one good filter (the worked example) and one the loader refuses.
  const mine = join(tmp.dir, 'mine');
  mkdirSync(mine);
  buildFilter(join(REPO_ROOT, 'examples/emboss.ts'), mine);
  writeFileSync(join(mine, 'broken.wasm'), Buffer.from('not a module at all'));
  // One that traps on every tile: a single shared-memory form, so the page runs it under shared.
  const trap = writeWasm(mine, 'trap', abiFilterWat('(unreachable)'));
  const served = await startServe(['--filters', mine]);
  t.after(served.stop);
  const builtins = await builtinDefaults(served.url);
  assert.ok(builtins.size >= 8 && builtins.has('gaussian-blur'), 'the built-ins are listed');
  let identicalBytes = 0;
  let compared = 0;

  await withLocalPage(served.url, async (page, log) => {
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP make the page cross-origin isolated');
    assert.equal(await page.locator('#isolation-note').isVisible(), false, 'no fallback note');
    await page.getByLabel('Image', { exact: true }).setInputFiles(input);

    // A filter with a halo, at a param set on its slider, on 64-pixel tiles (halos across many seams), and a point filter.
    const blurPage = await runInPage(page, { label: 'gaussian-blur', name: 'gaussian-blur', params: { sigma: 3 }, set: { sigma: 3 }, tile: 64 });
    assert.equal(await page.locator('#result').getAttribute('data-strategy'), 'shared');
    const blurCli = await runCliOutput(input, join(tmp.dir, 'out-blur'), 'gaussian-blur', { sigma: 3 }, ['-t', '64']);
    identicalBytes += Number(assertSamePng(blurPage, blurCli, 'gaussian-blur σ=3'));
    compared++;
    await page.getByLabel('Show tile grid', { exact: true }).check();
    for (const id of ['time-decode', 'time-filter', 'time-encode']) {
      assert.ok(Number(await page.locator(`#${id}`).getAttribute('data-ms')) >= 0, `${id} shown`);
    }
    const shot = artifact('serve.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`# screenshot: ${shot}`);

    const invertPage = await runInPage(page, { label: 'invert', name: 'invert', params: {} });
    identicalBytes += Number(assertSamePng(invertPage, await runCliOutput(input, join(tmp.dir, 'out-invert'), 'invert'), 'invert'));
    compared++;

    // The user's filter from --filters: the page runs the file tessera run is given.
    const embossPage = await runInPage(page, { label: 'emboss (yours)', name: 'emboss', params: { strength: 2 } });
    identicalBytes += Number(assertSamePng(embossPage, await runCliOutput(input, join(tmp.dir, 'out-emboss'), join(mine, 'emboss.wasm')), 'emboss (yours)'));
    compared++;

    // Every built-in at its defaults.
    const started = Date.now();
    for (const [name, params] of builtins) {
      const bytes = await runInPage(page, { label: name, name, params });
      identicalBytes += Number(assertSamePng(bytes, await runCliOutput(input, join(tmp.dir, `out-all-${name}`), name), `${name} (defaults)`));
      compared++;
    }
    console.log(`# every built-in at its defaults, page and tessera run: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // A filter the loader refuses shows the message tessera run prints for it.
    const cliBroken = await runCli(['run', '-f', join(mine, 'broken.wasm'), '-i', input, '-o', join(tmp.dir, 'out-broken'), '--no-progress']);
    assert.equal(cliBroken.code, 2);
    await page.getByLabel('Filter', { exact: true }).selectOption({ label: 'broken (cannot be loaded)' });
    assert.equal(await page.locator('#error').textContent(), cliBroken.stderr.trim().replace(/^tessera: /, ''));

    // A trap names the file, the filter (by its path) and the tile, in tessera run's words (one tile: the same tile fails first in both).
    const cliTrap = await runCli(['run', '-f', trap, '-i', input, '-o', join(tmp.dir, 'out-trap'), '-t', '512', '--no-progress']);
    assert.equal(cliTrap.code, 1);
    const trapLine = cliTrap.stderr.split('\n').find((l) => l.includes('failed on tile'))!.replace(/^error: /, '').replace(input, 'photo.png');
    await page.getByLabel('Tile size', { exact: true }).fill('512');
    await page.getByLabel('Filter', { exact: true }).selectOption({ label: 'trap (yours)' });
    await page.waitForFunction(() => document.getElementById('result')!.dataset.state === 'error');
    assert.equal(await page.locator('#error').textContent(), trapLine);

    // A corrupt image shows the line tessera run prints for it, the file named as the user named it.
    const bad = join(tmp.dir, 'bad', 'broken.png');
    mkdirSync(join(tmp.dir, 'bad'));
    writeFileSync(bad, readFileSync(input).subarray(0, 2000));
    const cliBad = await runCli(['run', '-f', 'invert', '-i', bad, '-o', join(tmp.dir, 'out-bad'), '--no-progress']);
    assert.equal(cliBad.code, 1);
    const cliLine = cliBad.stderr.split('\n').find((l) => l.includes(bad))!.replace(/^error: /, '').replace(bad, 'broken.png');
    await page.getByLabel('Image', { exact: true }).setInputFiles(bad);
    await page.waitForFunction(() => document.getElementById('error')!.textContent!.startsWith('broken.png'));
    assert.equal(await page.locator('#error').textContent(), cliLine);
    assertFetchedFilters(log);
  });
  console.log(`# ${compared} outputs compared: pixels identical in all; whole files byte-identical in ${identicalBytes}`);
});

test('tessera serve --no-isolation: the page says so and falls back to copy, still bit-exact', { skip: requireChromium() }, async (t) => {
  const tmp = tempDir('tessera-serve-copy-');
  t.after(tmp.cleanup);
  // An RGB input (no alpha): the output is RGB as tessera run writes it.
  const input = join(tmp.dir, 'opaque.png');
  await writeTestPng(input, 301, 199, false);
  const served = await startServe(['--no-isolation']);
  t.after(served.stop);
  await withLocalPage(served.url, async (page, log) => {
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    const note = page.locator('#isolation-note');
    assert.ok(await note.isVisible(), 'the fallback note is shown');
    assert.match((await note.textContent())!, /copy strategy/);
    await page.getByLabel('Image', { exact: true }).setInputFiles(input);
    const blur = await runInPage(page, { label: 'gaussian-blur', name: 'gaussian-blur', params: { sigma: 2 } });
    assert.equal(await page.locator('#result').getAttribute('data-strategy'), 'copy');
    assertSamePng(blur, await runCliOutput(input, join(tmp.dir, 'out-blur'), 'gaussian-blur'), 'gaussian-blur under copy');
    const gray = await runInPage(page, { label: 'grayscale', name: 'grayscale', params: {} });
    assertSamePng(gray, await runCliOutput(input, join(tmp.dir, 'out-gray'), 'grayscale'), 'grayscale under copy');
    // A translucent image through a filter on premultiplied alpha: the page's alpha passes without a shared memory (chunked).
    const translucent = join(tmp.dir, 'translucent.png');
    await writeTestPng(translucent, 301, 199);
    const soft = await runInPage(page, { label: 'box-blur', name: 'box-blur', params: { radius: 2 }, image: translucent });
    assertSamePng(soft, await runCliOutput(translucent, join(tmp.dir, 'out-soft'), 'box-blur'), 'box-blur on a translucent image under copy');
    const shot = artifact('serve-copy.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`# screenshot: ${shot}`);
    assertFetchedFilters(log);
  });
});

test('tessera serve: 16-bit, palette with tRNS, gray, low bit depths and interlaced PNGs decode as tessera decodes them; a JPEG is decoded by the browser, and the page says so', { skip: requireChromium() }, async (t) => {
  const tmp = tempDir('tessera-serve-png-');
  t.after(tmp.cleanup);
  const base = join(tmp.dir, 'base.png');
  await writeTestPng(base, 97, 61);
  const { encode } = await import('fast-png');
  const gray4 = new Uint8Array(Math.ceil((97 * 4) / 8) * 61).map((_, i) => (i * 37) & 255);
  const variants: Array<[string, () => Promise<void>]> = [
    ['rgba16.png', async () => void (await sharp(base).toColourspace('rgb16').png().toFile(join(tmp.dir, 'rgba16.png')))],
    ['palette.png', async () => void (await sharp(base).png({ palette: true, colours: 200, dither: 0 }).toFile(join(tmp.dir, 'palette.png')))],
    ['gray-alpha.png', async () => void (await sharp(base).toColourspace('b-w').png().toFile(join(tmp.dir, 'gray-alpha.png')))],
    ['interlaced.png', async () => void (await sharp(base).png({ progressive: true }).toFile(join(tmp.dir, 'interlaced.png')))],
    ['gray4.png', async () => writeFileSync(join(tmp.dir, 'gray4.png'), encode({ width: 97, height: 61, data: gray4, channels: 1, depth: 4 }))],
  ];
  const served = await startServe([]);
  t.after(served.stop);
  await withLocalPage(served.url, async (page) => {
    for (const [name, make] of variants) {
      await make();
      const file = join(tmp.dir, name);
      const bytes = await runInPage(page, { label: 'sepia', name: 'sepia', params: { amount: 100 }, image: file });
      assertSamePng(bytes, await runCliOutput(file, join(tmp.dir, `out-${name}`), 'sepia'), `sepia on ${name}`);
    }
    // A JPEG goes through the browser's decoder, and the page says its pixels are not tessera's.
    const jpeg = join(tmp.dir, 'photo.jpg');
    await sharp(base).flatten().jpeg().toFile(jpeg);
    const out = await runInPage(page, { label: 'sepia', name: 'sepia', params: { amount: 100 }, image: jpeg });
    assert.equal((await sharp(out).metadata()).format, 'png');
    assert.match((await page.locator('#notes').textContent())!, /JPEG is decoded by the browser/);
  });
});

/** Median of a list of numbers. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The filter stage, page against Node: the same image (2000×2000 RGBA), filter, tile
 * size (256) and threads (navigator.hardwareConcurrency in the page, as many Node
 * workers), wall time of decoded pixels in → filtered pixels out (padding, tiles, the
 * output read back), median of 9 warm runs each. Node: `Session.filterPixels` under
 * `shared` with its threads started eagerly. A measurement, not a check: run with
 * TESSERA_SERVE_FIGURES=1 on an otherwise idle machine.
 */
test('figures: the in-page filter stage against Node\'s', { skip: !process.env.TESSERA_SERVE_FIGURES && 'a measurement: set TESSERA_SERVE_FIGURES=1' }, async (t) => {
  const { Session } = await import('../../src/index.js');
  const { decodeRgba } = await import('../helpers/image-files.js');
  const tmp = tempDir('tessera-serve-figures-');
  t.after(tmp.cleanup);
  const input = join(tmp.dir, 'big.png');
  await writeTestPng(input, 2000, 2000);
  const { data } = await decodeRgba(input);
  const served = await startServe([]);
  t.after(served.stop);
  const runs = 9;
  const rows: string[] = [];
  const stages: string[] = [];
  await withLocalPage(served.url, async (page) => {
    const threads = await page.evaluate(() => navigator.hardwareConcurrency);
    await page.getByLabel('Image', { exact: true }).setInputFiles(input);
    for (const [filter, params] of [['grayscale', {}], ['gaussian-blur', { sigma: 2 }]] as const) {
      await runInPage(page, { label: filter, name: filter, params });
      const session = new Session({ filter, params, workers: threads, tileSize: 256, strategy: 'shared', threadStart: 'eager' });
      const pageMs: number[] = [];
      const nodeMs: number[] = [];
      try {
        // Alternating, after a warm-up of each, so a busy moment of this shared machine hits both alike.
        for (let i = 0; i < runs + 2; i++) {
          const before = Number(await page.locator('#result').getAttribute('data-run'));
          await page.getByRole('button', { name: 'Run filter' }).click();
          await page.waitForFunction((b) => Number(document.getElementById('result')!.dataset.run) > b && document.getElementById('result')!.dataset.state === 'done', before);
          const t0 = performance.now();
          await session.filterPixels(data, 2000, 2000);
          const t1 = performance.now();
          if (i < 2) continue;
          pageMs.push(Number(await page.locator('#time-filter').getAttribute('data-ms')));
          nodeMs.push(t1 - t0);
        }
      } finally {
        await session.close();
      }
      const mpx = 4;
      const p = median(pageMs);
      const n = median(nodeMs);
      const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
      const stage = async (id: string) => Number(await page.locator(`#${id}`).getAttribute('data-ms')).toFixed(0);
      stages.push(`${filter}: page decode ${await stage('time-decode')} ms, encode ${await stage('time-encode')} ms (last run)`);
      rows.push(`| ${filter} | ${threads} | ${p.toFixed(1)} ms, ${(mpx / (p / 1000)).toFixed(0)} Mpx/s (${range(pageMs)}) | ${n.toFixed(1)} ms, ${(mpx / (n / 1000)).toFixed(0)} Mpx/s (${range(nodeMs)}) | ${(p / n).toFixed(2)}× |`);
    }
  });
  console.log([`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`, '| filter | threads | page filter stage (min–max) | Node, Session.filterPixels under shared (min–max) | page / Node |', '|---|---|---|---|---|', ...rows, ...stages].map((l) => `# ${l}`).join('\n'));
});
