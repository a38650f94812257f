/**
 * Pixels that stream: big images go through in bands (decoded to a temporary `.v`,
 * filtered band by band, written to a temporary TIFF, encoded from it) bit-identical to
 * whole-image filtering; admission by bytes; a bounded window of tiles; one memory per
 * image under `shared`. Thresholds are forced small so that test images stream.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { prepareForEncode } from '../../src/io/encode.js';
import { Session } from '../../src/pipeline/session.js';
import { tileWindow } from '../../src/pipeline/region-filter.js';
import { applyReference } from '../../src/reference/apply-reference.js';
import type { StrategyName, StrategyHost, TileTask } from '../../src/strategies/index.js';
import { builtinFilterNames, loadFilter } from '../../src/filter/filter-module.js';
import { firstDifference, randomImage, rng } from '../helpers/images.js';
import { decodeRgba, fromRgba } from '../helpers/image-files.js';
import { tempDir } from '../helpers/temp.js';
import { abiFilterWat, fillTileWat, writeWasm } from '../helpers/wat.js';
import { runCli } from '../helpers/cli.js';

const tmp = tempDir('tessera-streaming-');
const previousTmp = process.env.TMPDIR;
let runTmp = '';

before(() => {
  // Every run's temporary directory goes here, so the tests can see it is removed.
  runTmp = join(tmp.dir, 'tmpdir');
  mkdirSync(runTmp);
  process.env.TMPDIR = runTmp;
});

after(() => {
  if (previousTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmp;
  tmp.cleanup();
});

/** Mid-range params, so halos are not trivial. */
function midParams(name: string): Record<string, number> {
  return Object.fromEntries(loadFilter(name).manifest.params.map((p) => [p.name, p.type === 'int' ? Math.round(p.min + (p.max - p.min) * 0.2) : p.min + (p.max - p.min) * 0.2]));
}

test('streamed in bands from memory: == whole for every filter and thread strategy, bands shorter than the halo included', async () => {
  const width = 83;
  const height = 71;
  const rgba = randomImage(width, height, rng(5));
  for (const name of builtinFilterNames()) {
    const params = midParams(name);
    for (const strategy of ['copy', 'shared', 'pipe'] as StrategyName[]) {
      // 1 row: every band's halo reaches across several other bands; 13: not a multiple of the tile; 64: tile-aligned.
      for (const bandRows of [1, 13, 64]) {
        const session = new Session({ filter: name, params, strategy, workers: 2, threadStart: 'eager', tileSize: 16, bandRows });
        try {
          const expected = applyReference(name, session.params, rgba, width, height);
          const diff = firstDifference(await session.filterPixels(rgba, width, height), expected, width);
          assert.equal(diff, undefined, `${name} ${strategy} bandRows=${bandRows} (halo ${session.halo}): ${diff}`);
        } finally {
          await session.close();
        }
      }
    }
  }
});

test('streamed in bands through temporary files: every filter × strategy writes what whole-image filtering writes; the run\'s temp dir is gone after', async () => {
  const width = 150;
  const height = 97;
  const input = join(tmp.dir, 'files-in');
  mkdirSync(input);
  const rgba = randomImage(width, height, rng(11));
  await fromRgba(rgba, width, height).png().toFile(join(input, 'photo.png'));
  const gray = new Uint8Array(rgba);
  for (let i = 0; i < gray.length; i += 4) gray[i + 1] = gray[i + 2] = gray[i];
  await fromRgba(gray, width, height).png().toFile(join(input, 'gray.png'));
  for (const name of builtinFilterNames()) {
    const params = midParams(name);
    for (const strategy of ['disk', 'pipe', 'copy', 'shared'] as StrategyName[]) {
      if (strategy === 'disk' && name !== 'sobel') continue; // a process per tile: one filter is enough
      const out = join(tmp.dir, `files-${name}-${strategy}`);
      mkdirSync(out);
      const session = new Session({ filter: name, params, strategy, workers: 2, tileSize: 32, bandRows: 32, streamAbovePixels: 0 });
      try {
        const bands: string[] = [];
        const summary = await session.run([join(input, 'photo.png'), join(input, 'gray.png')], out, { onBand: ({ input: f, done, total }) => bands.push(`${f.endsWith('photo.png') ? 'p' : 'g'}${done}/${total}`) });
        assert.deepEqual(bands.filter((b) => b.startsWith('p')), ['p1/4', 'p2/4', 'p3/4', 'p4/4'], 'progress for every band of a streamed image');
        assert.equal(summary.succeeded, 2, JSON.stringify(summary.results.map((r) => r.error)));
        for (const [file, pixels] of [['photo.png', rgba], ['gray.png', gray]] as const) {
          const result = summary.results.find((r) => r.input.endsWith(file))!;
          assert.equal(result.bandRows, 32, `${file} streamed`);
          const expected = applyReference(name, session.params, pixels, width, height);
          const written = await decodeRgba(join(out, file));
          const diff = firstDifference(written.data, expected, width);
          assert.equal(diff, undefined, `${name} ${strategy} ${file}: ${diff}`);
          // The layout a whole image would be written with (gray results in one channel plus alpha).
          assert.equal(result.layout, prepareForEncode(expected, true).layout, `${name} ${strategy} ${file}: layout`);
        }
      } finally {
        await session.close();
      }
    }
  }
  assert.deepEqual(readdirSync(runTmp), [], 'the runs removed their temporary directories');
});

test('admission by bytes: a budget smaller than two images runs them one at a time, and every one succeeds', async () => {
  const input = join(tmp.dir, 'admit-in');
  const out = join(tmp.dir, 'admit-out');
  mkdirSync(input);
  mkdirSync(out);
  const files: string[] = [];
  for (let i = 0; i < 4; i++) {
    const file = join(input, `img${i}.png`);
    await fromRgba(randomImage(700, 700, rng(i), true), 700, 700).png().toFile(file);
    files.push(file);
  }
  // A 700² image takes ~6.4 MiB whole: 10 MiB holds one, not two.
  const session = new Session({ filter: 'sobel', workers: 2, memoryMb: 10 });
  const host = (session as unknown as { host: StrategyHost }).host;
  let held = 0;
  let peak = 0;
  const prepare = host.prepare.bind(host);
  const release = host.release.bind(host);
  host.prepare = (layout, reuse) => {
    peak = Math.max(peak, ++held);
    return prepare(layout, reuse);
  };
  host.release = (image) => {
    held--;
    release(image);
  };
  try {
    const summary = await session.run(files, out);
    assert.equal(summary.succeeded, 4, JSON.stringify(summary.results.map((r) => r.error)));
    assert.equal(peak, 1, 'one image in memory at a time');
    assert.ok(summary.memory.peakMb <= 10, `${summary.memory.peakMb} MiB held at most, budget 10`);
    assert.ok(summary.results.every((r) => r.bandRows === undefined), 'each fits whole, so none streams');
  } finally {
    await session.close();
  }
  // Too small for even a band: refused with the sizes and the flag, not run out of memory.
  const tiny = new Session({ filter: 'sobel', workers: 1, memoryMb: 1 });
  try {
    const summary = await tiny.run([files[0]], out);
    assert.match(summary.results[0].error ?? '', /img0\.png: 700×700 needs at least \d+ MiB for one band of \d+ rows, more than --memory 1 MiB/);
  } finally {
    await tiny.close();
  }
});

test('a pathological tile size runs in a bounded window of tiles (--tile 1 on a 384² image: 147,456 tiles, a few thousand in flight)', async () => {
  const width = 384;
  const height = 384;
  const rgba = randomImage(width, height, rng(3));
  const session = new Session({ filter: 'invert', workers: 1, tileSize: 1 });
  const executor = (session as unknown as { executor: { run(task: TileTask): Promise<unknown> } }).executor;
  const run = executor.run.bind(executor);
  let inFlight = 0;
  let peak = 0;
  executor.run = async (task) => {
    peak = Math.max(peak, ++inFlight);
    try {
      return await run(task);
    } finally {
      inFlight--;
    }
  };
  try {
    const out = await session.filterPixels(rgba, width, height);
    assert.equal(firstDifference(out, applyReference('invert', session.params, rgba, width, height), width), undefined);
  } finally {
    await session.close();
  }
  const bound = tileWindow(1) * 3; // a window per band in flight
  assert.ok(peak <= bound, `${peak} tiles in flight at once, bound ${bound}`);
});

test('no arena: a filter that scans its whole memory finds only its own image (shared, and copy with pooled instances)', async () => {
  // For every tile: counts the 32-bit words of its memory equal to 0xA5A5A5A5 (the pixels
  // of the "A" images) and writes the count (saturated) into every output pixel's red.
  const body = `(local $i i32) (local $end i32) (local $n i32) (local $y i32) (local $x i32) (local $v i32)
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $end)))
      (if (i32.eq (i32.load (local.get $i)) (i32.const 0xA5A5A5A5)) (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l)))
    (if (i32.gt_u (local.get $n) (i32.const 255)) (then (local.set $n (i32.const 255))))
    (local.set $v (i32.or (local.get $n) (i32.const 0xff020100)))
    ${fillTileWat('(local.get $v)')}`;
  const filter = writeWasm(tmp.dir, 'memory-scan', abiFilterWat(body));
  // "b" images are smaller than one tile of an "a" image: under copy a pooled instance that
  // filtered an "a" tile would still hold its bytes beyond a "b" tile's region.
  for (const strategy of ['shared', 'copy'] as const) {
    const input = join(tmp.dir, `scan-in-${strategy}`);
    const out = join(tmp.dir, `scan-out-${strategy}`);
    mkdirSync(input);
    mkdirSync(out);
    const files: string[] = [];
    for (let i = 0; i < 16; i++) {
      const a = i % 2 === 0;
      const size = a ? 64 : 8;
      const file = join(input, `${a ? 'a' : 'b'}${i}.png`);
      await fromRgba(new Uint8Array(size * size * 4).fill(a ? 0xa5 : 0x37), size, size).png().toFile(file);
      files.push(file);
    }
    const session = new Session({ filter, strategy, workers: 2, tileSize: 16, imagesInFlight: 8 });
    try {
      const summary = await session.run(files, out);
      assert.equal(summary.succeeded, 16, JSON.stringify(summary.results.map((r) => r.error)));
    } finally {
      await session.close();
    }
    for (const file of files) {
      const name = file.slice(input.length + 1);
      const { data } = await decodeRgba(join(out, name));
      const seen = data[0];
      if (name.startsWith('a')) assert.ok(seen > 0, `${strategy} ${name}: the filter sees its own image`);
      else assert.equal(seen, 0, `${strategy} ${name}: the filter saw ${seen} words of another image's pixels`);
    }
  }
});

test('tessera run --memory: too small for one band is a clear error naming the image and the flag, the run goes on', async () => {
  const input = join(tmp.dir, 'cli-memory-in');
  const out = join(tmp.dir, 'cli-memory-out');
  mkdirSync(input);
  await fromRgba(randomImage(3000, 40, rng(1), true), 3000, 40).png().toFile(join(input, 'wide.png'));
  await fromRgba(randomImage(40, 40, rng(2), true), 40, 40).png().toFile(join(input, 'small.png'));
  const r = await runCli(['run', '--filter', 'sobel', '--input', input, '--output', out, '--memory', '1']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /wide\.png: 3000×40 needs at least \d+ MiB for one band of 40 rows, more than --memory 1 MiB; raise --memory or lower --tile/);
  assert.deepEqual(readdirSync(out), ['small.png']);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('a temporary disk too small for a streamed image is a clear error naming the image, checked before it starts', async (t) => {
  const { execFileSync } = await import('node:child_process');
  if (process.getuid?.() !== 0) {
    if (process.env.CI === 'true') assert.fail('this test mounts a tiny tmpfs and needs root');
    t.skip('needs root (mounts a 1 MiB tmpfs)');
    return;
  }
  const disk = join(tmp.dir, 'tiny-disk');
  mkdirSync(disk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk]);
  const before = process.env.TMPDIR;
  try {
    process.env.TMPDIR = disk;
    const input = join(tmp.dir, 'tiny-disk-in.png');
    await fromRgba(randomImage(300, 300, rng(9), true), 300, 300).png().toFile(input);
    const out = join(tmp.dir, 'tiny-disk-out');
    mkdirSync(out);
    const session = new Session({ filter: 'invert', workers: 1, streamAbovePixels: 0 });
    try {
      const summary = await session.run([input], out);
      assert.match(summary.results[0].error ?? '', /tiny-disk-in\.png: streaming it in bands needs \d+ MiB of temporary disk in .*tiny-disk.*, but only \d+ MiB are free \(set TMPDIR to a bigger disk\)/);
      assert.deepEqual(readdirSync(out), [], 'no partial output');
    } finally {
      await session.close();
    }
    assert.deepEqual(readdirSync(disk), [], 'the run\'s temporary directory was removed');
  } finally {
    process.env.TMPDIR = before;
    execFileSync('umount', [disk]);
  }
});
