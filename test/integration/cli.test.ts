/** The CLI end to end on a synthetic set: round-trips per format and layout, the custom example filter, and user errors. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { applyReference } from '../../src/reference/apply-reference.js';
import { synthDatasetSpec } from 'tessera-bench/dataset/synth';
import { buildFilter, REPO_ROOT, runCli } from '../helpers/cli.js';
import { firstDifference, randomImage, rng } from '../helpers/images.js';
import { decodeRgba, fromRgba } from '../helpers/image-files.js';
import { tempDir } from '../helpers/temp.js';

const tmp = tempDir('tessera-cli-');
after(() => tmp.cleanup());

/** Runs the CLI on one input file and checks the output's format, channels and pixels against the reference. */
async function roundTrip(name: string, input: string, filter: string, params: number[], expectChannels: number, exact: boolean) {
  const out = join(tmp.dir, `out-${name}`);
  const r = await runCli(['run', '--filter', filter, '--input', input, '--output', out, '--tile', '64']);
  assert.equal(r.code, 0, r.stderr);
  const written = join(out, input.split('/').pop()!);
  const meta = await sharp(written).metadata();
  const inMeta = await sharp(input).metadata();
  assert.equal(meta.format, inMeta.format, 'output keeps the input format');
  assert.equal(meta.channels, expectChannels, `${name}: channels`);
  assert.equal(meta.width, inMeta.width);
  assert.equal(meta.height, inMeta.height);
  if (exact) {
    const src = await decodeRgba(input);
    const expected = applyReference(filter, params, src.data, src.width, src.height);
    const actual = await decodeRgba(written);
    const diff = firstDifference(actual.data, expected, src.width);
    assert.equal(diff, undefined, `${name}: ${diff}`);
  }
}

describe('tessera CLI', () => {
  const synth = join(tmp.dir, 'synth');
  const files = join(tmp.dir, 'files');
  before(async () => {
    mkdirSync(files);
    const next = rng(99);
    const w = 97;
    const h = 61;
    const rgba = randomImage(w, h, next);
    await fromRgba(rgba, w, h).png().toFile(join(files, 'rgba.png'));
    await fromRgba(rgba, w, h).removeAlpha().png().toFile(join(files, 'rgb.png'));
    await fromRgba(rgba, w, h).extractChannel(1).png().toFile(join(files, 'gray.png'));
    await fromRgba(rgba, w, h).removeAlpha().jpeg().toFile(join(files, 'photo.jpg'));
    await fromRgba(rgba, w, h).removeAlpha().webp().toFile(join(files, 'photo.webp'));
  });

  test('dataset synth writes a Kodak-shaped set', async () => {
    const r = await runCli(['dataset', 'synth', '--out', synth, '--count', '4', '--seed', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(synth).sort(), ['kodim01.png', 'kodim02.png', 'kodim03.png', 'kodim04.png']);
    const sizes = await Promise.all(readdirSync(synth).sort().map(async (f) => (await sharp(join(synth, f)).metadata()).width));
    assert.deepEqual(sizes, synthDatasetSpec(4).map((s) => s.width));
    assert.equal(sizes.filter((w) => w === 512).length, 1, 'one portrait in four');
  });

  test('run grayscale on the synthetic set: gray 1-channel PNGs equal to the reference, --json summary', async () => {
    const out = join(tmp.dir, 'gray-out');
    const r = await runCli(['run', '--filter', 'grayscale', '--input', synth, '--output', out, '--json', '--workers', '2']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.images, 4);
    assert.equal(summary.succeeded, 4);
    assert.equal(summary.strategy, 'shared');
    assert.ok(summary.mpxPerS > 0 && summary.megapixels > 1.5);
    for (const key of ['decodeMs', 'splitMs', 'filterMs', 'assembleMs', 'encodeMs']) assert.equal(typeof summary.stages[key], 'number');
    for (const f of readdirSync(synth)) {
      assert.equal((await sharp(join(out, f)).metadata()).channels, 1, `${f} is 1-channel gray`);
      const src = await decodeRgba(join(synth, f));
      const actual = await decodeRgba(join(out, f));
      assert.equal(firstDifference(actual.data, applyReference('grayscale', [], src.data, src.width, src.height), src.width), undefined);
    }
  });

  test('human summary line names images, Mpx, time and Mpx/s', async () => {
    const r = await runCli(['run', '--filter', 'invert', '--input', synth, '--output', join(tmp.dir, 'inv'), '--strategy', 'copy', '--workers', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /4\/4 images, \d+\.\d\d Mpx in \d+\.\d\d s — \d+\.\d Mpx\/s \(invert, copy, 1 worker, tile 256\)/);
  });

  test('round-trips keep format and channel layout', async () => {
    await roundTrip('rgb', join(files, 'rgb.png'), 'sepia', [100], 3, true);
    await roundTrip('rgba', join(files, 'rgba.png'), 'box-blur', [2], 4, true);
    await roundTrip('gray', join(files, 'gray.png'), 'invert', [], 1, true);
    await roundTrip('gray-from-rgb', join(files, 'rgb.png'), 'grayscale', [], 1, true);
    await roundTrip('jpeg', join(files, 'photo.jpg'), 'invert', [], 3, false);
    await roundTrip('webp', join(files, 'photo.webp'), 'invert', [], 3, false);
  });

  test('custom example filter (examples/emboss.ts) builds and runs from its .wasm; tiled == whole', async () => {
    const built = join(tmp.dir, 'custom');
    buildFilter(join(REPO_ROOT, 'examples/emboss.ts'), built);
    const wasm = join(built, 'emboss.wasm');
    const listed = await runCli(['filters', wasm, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout)[0].params.map((p: { name: string }) => p.name), ['strength']);
    const input = join(files, 'rgb.png');
    const outs: Uint8Array[] = [];
    for (const [tile, strategy] of [['7', 'copy'], ['1000', 'copy'], ['5', 'shared'], ['16', 'pipe']]) {
      const out = join(tmp.dir, `emboss-${tile}-${strategy}`);
      const r = await runCli(['run', '--filter', wasm, '--param', 'strength=3', '--input', input, '--output', out, '--tile', tile, '--strategy', strategy]);
      assert.equal(r.code, 0, r.stderr);
      outs.push((await decodeRgba(join(out, 'rgb.png'))).data);
    }
    assert.deepEqual(outs[0], outs[1]);
    assert.deepEqual(outs[2], outs[1]);
    assert.deepEqual(outs[3], outs[1]);
    // Spot-check the formula at an interior pixel.
    const src = await decodeRgba(input);
    const at = (x: number, y: number, c: number) => src.data[(y * src.width + x) * 4 + c];
    const [x, y] = [40, 30];
    for (let c = 0; c < 3; c++) {
      const v = Math.min(255, Math.max(0, 128 + 3 * (at(x + 1, y + 1, c) - at(x - 1, y - 1, c))));
      assert.equal(outs[0][(y * src.width + x) * 4 + c], v);
    }
  });

  test('filters --json lists every built-in with params, halo and alpha mode', async () => {
    const r = await runCli(['filters', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout);
    assert.equal(list.length, 8);
    const blur = list.find((f: { name: string }) => f.name === 'gaussian-blur');
    assert.equal(blur.halo, 6);
    assert.equal(blur.alpha, 'premultiplied');
    assert.equal(list.find((f: { name: string }) => f.name === 'invert').alpha, 'straight');
    assert.deepEqual(Object.keys(blur.params[0]).filter((k) => ['name', 'default', 'min', 'max'].includes(k)).sort(), ['default', 'max', 'min', 'name']);
    const text = await runCli(['filters']);
    assert.match(text.stdout, /gaussian-blur\s+\(halo 6, premultiplied alpha\)/);
  });

  test('usage errors exit 2 with a one-line message and no stack', async () => {
    const out = join(tmp.dir, 'err-out');
    const cases: Array<[string[], RegExp]> = [
      [['run', '--filter', 'blurry', '--input', synth, '--output', out], /unknown filter "blurry"; valid filters: box-blur, brightness-contrast, gaussian-blur/],
      [['run', '--filter', 'gaussian-blur', '--param', 'radius=3', '--input', synth, '--output', out], /filter gaussian-blur has no param "radius"; valid params: sigma/],
      [['run', '--filter', 'gaussian-blur', '--param', 'sigma=99', '--input', synth, '--output', out], /Expected a number between 0\.1 and 20 for gaussian-blur\.sigma but received "99"/],
      [['run', '--filter', 'box-blur', '--param', 'radius=1.5', '--input', synth, '--output', out], /Expected an integer between 1 and 32 for box-blur\.radius/],
      [['run', '--filter', 'invert', '--input', join(tmp.dir, 'nope'), '--output', out], /input .*nope does not exist/],
      [['run', '--filter', 'invert', '--input', synth, '--output', synth], /is the input directory/],
      [['run', '--filter', 'invert', '--input', synth, '--output', join(synth, 'sub')], /inside the input directory/],
      [['run', '--filter', 'invert', '--input', synth, '--output', out, '--workers', '0'], /--workers expects a positive integer/],
      [['run', '--filter', 'invert', '--input', synth, '--output', out, '--strategy', 'teleport'], /Allowed choices are disk, pipe, copy, shared/],
      [['run', '--input', synth, '--output', out], /required option '-f, --filter/],
      [['frobnicate'], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(existsSync(join(synth, 'sub')), false, 'refused output dir is not created');
  });

  test('a single input file is written to a folder beside it, never over itself', async () => {
    const single = join(tmp.dir, 'single');
    mkdirSync(single, { recursive: true });
    const photo = join(single, 'photo.png');
    writeFileSync(photo, readFileSync(join(synth, readdirSync(synth)[0])));
    const ok = await runCli(['run', '--filter', 'invert', '--input', photo, '--output', join(single, 'out'), '--no-progress']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(existsSync(join(single, 'out', 'photo.png')));
    const same = await runCli(['run', '--filter', 'invert', '--input', photo, '--output', single]);
    assert.equal(same.code, 2);
    assert.match(same.stderr, /is the input directory/);
  });

  test('a bad image fails alone: named on stderr, exit 1, the others written', async () => {
    const mixed = join(tmp.dir, 'mixed');
    mkdirSync(mixed);
    execFileSync('cp', [join(synth, 'kodim01.png'), join(files, 'rgb.png'), mixed]);
    writeFileSync(join(mixed, 'broken.png'), Buffer.from('definitely not a png'));
    const out = join(tmp.dir, 'mixed-out');
    const r = await runCli(['run', '--filter', 'invert', '--input', mixed, '--output', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: .*broken\.png: not a readable image/);
    assert.match(r.stderr, /2\/3 images, 1 failed/);
    assert.deepEqual(readdirSync(out).sort(), ['kodim01.png', 'rgb.png']);
  });

  test('--help teaches: examples and exit codes', async () => {
    const r = await runCli(['run', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--param <key=value>/);
    assert.match(r.stdout, /Exit codes: 0 all images written, 1 some images failed/);
  });
});
