/**
 * Premultiplied alpha (issue 16): neighbourhood filters run on premultiplied pixels and
 * their output is unpremultiplied, so the colour of transparent pixels never bleeds into
 * visible ones. The SIMD passes equal the reference's rounding for every (colour, alpha);
 * a cut-out blurred shows no fringe and equals a premultiplied blur written here from
 * scratch; tiled == reference under every strategy, band size and route (pixels, files,
 * streamed files, queue band jobs and whole-image jobs); opaque images are unchanged.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HOST_KERNEL_DIR } from '../../src/filter/artifacts.js';
import { builtinFilterNames, loadFilter } from '../../src/filter/filter-module.js';
import { alphaMode, manifestDifferences, parseManifest } from '../../src/filter/manifest.js';
import { resolveParams } from '../../src/filter/params.js';
import { premultiplyForFilter, premultiplyRegion, unpremultiplyPixels } from '../../src/pipeline/alpha.js';
import { AlphaPasses } from '../../src/pipeline/alpha-passes.js';
import { rowsFromMemory } from '../../src/pipeline/band-sources.js';
import { Session } from '../../src/pipeline/session.js';
import { premultiplyChannel, premultiplyRows, unpremultiplyChannel, unpremultiplyRows } from '../../src/reference/alpha.js';
import { applyReference } from '../../src/reference/apply-reference.js';
import { referenceFilters } from '../../src/reference/index.js';
import type { PreparedImage, StrategyName } from '../../src/strategies/index.js';
import { bandAt, bandCount } from '../../src/tiling/band.js';
import { paddedLayout, writePadded } from '../../src/tiling/padded-image.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { decodeRgba, fromRgba } from '../helpers/image-files.js';
import { firstDifference, randomImage, rng } from '../helpers/images.js';
import { isAlive, requireRedis, startLocalRedis, startWorker, type LocalRedis } from '../helpers/queue.js';
import { withSession } from '../helpers/session.js';
import { tempDir } from '../helpers/temp.js';
import { abiFilterWat, writeWasm } from '../helpers/wat.js';

const PREMULTIPLIED = ['box-blur', 'gaussian-blur', 'sharpen', 'sobel'];
const RED = [255, 0, 0];
const GREEN_CLEAR = [0, 255, 0, 0];

/**
 * An opaque red disc with a half-transparent red rim on a fully transparent GREEN
 * background: in straight alpha the green bleeds into the disc's edge when blurred.
 */
function cutOut(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  const r = Math.min(width, height) / 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - width / 2, y - height / 2);
      rgba.set(d < r ? [...RED, 255] : d < r + 2 ? [...RED, 128] : GREEN_CLEAR, (y * width + x) * 4);
    }
  }
  return rgba;
}

/** A filter's reference without the alpha passes: what tessera computed before issue 16. */
function straightReference(name: string, params: readonly number[], rgba: Uint8Array, width: number, height: number): Uint8Array {
  const ref = referenceFilters[name];
  const layout = paddedLayout(width, height, ref.halo(params));
  const mem = new Uint8Array(layout.byteLength + width * height * 4);
  writePadded(rgba, layout, mem, 0);
  ref.filter(mem, layout.origin, layout.stride, layout.byteLength, width * 4, width, height, params);
  return mem.slice(layout.byteLength);
}

/**
 * A premultiplied box blur written from scratch with plain loops (no tessera code): the
 * rounding the README documents, clamp-to-edge borders, mean rounded half up.
 */
function premultipliedBoxBlurByHand(rgba: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const pm = new Uint8Array(rgba.length);
  for (let i = 0; i < rgba.length; i += 4) {
    const a = rgba[i + 3];
    for (let c = 0; c < 3; c++) pm[i + c] = Math.floor((rgba[i + c] * a + 127) / 255);
    pm[i + 3] = a;
  }
  const d = (2 * radius + 1) ** 2;
  const out = new Uint8Array(rgba.length);
  const at = (x: number, y: number) => (Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))) * 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) sum += pm[at(x + dx, y + dy) + c];
        out[o + c] = Math.floor((sum + Math.floor(d / 2)) / d);
      }
      const a = out[o + 3];
      for (let c = 0; c < 3; c++) out[o + c] = a === 0 ? 0 : Math.min(255, Math.floor((out[o + c] * 255 + Math.floor(a / 2)) / a));
    }
  }
  return out;
}

/** Every (colour, alpha) pair once, colour in red (green and blue other functions of it), then `extra` pixels. */
function everyPair(extra = 0): Uint8Array {
  const n = 65536 + extra;
  const px = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const c = i & 255;
    px.set([c, 255 - c, (c * 7) & 255, (i >> 8) & 255], i * 4);
  }
  return px;
}

describe('the rounding and the SIMD passes', () => {
  const kernel = (name: string) => new WebAssembly.Module(readFileSync(join(HOST_KERNEL_DIR, name)));
  const passes = new AlphaPasses(kernel('premultiply.wasm'), kernel('premultiply.shared.wasm'));
  const chunkedOnly = new AlphaPasses(kernel('premultiply.wasm'));

  test('the reference is round(c·a/255) and round-half-up(c·255/a) clamped, 0 where a = 0', () => {
    for (let c = 0; c < 256; c++) {
      for (let a = 0; a < 256; a++) {
        assert.equal(premultiplyChannel(c, a), Math.round((c * a) / 255));
        assert.equal(unpremultiplyChannel(c, a), a === 0 ? 0 : Math.min(255, Math.floor((c * 255) / a + 0.5)));
      }
      assert.equal(premultiplyChannel(c, 255), c, 'identity on opaque pixels');
      assert.equal(unpremultiplyChannel(c, 255), c, 'identity on opaque pixels');
    }
  });

  test('the kernel equals the reference for all 65,536 (colour, alpha) pairs: packed and padded rows, in place and chunked', () => {
    for (const [label, run, refRun] of [
      ['premultiply', 'premultiply', premultiplyRows],
      ['unpremultiply', 'unpremultiply', unpremultiplyRows],
    ] as const) {
      // 1 + 65536 pixels: the SIMD groups and a scalar tail.
      const pixels = everyPair(5);
      const n = pixels.length / 4;
      const expected = pixels.slice();
      refRun(expected, 0, n, 1, pixels.length);
      // Packed, through the kernel's own memory in chunks.
      const packed = pixels.slice();
      assert.equal(chunkedOnly[run](packed, n, 1, packed.length), true);
      assert.equal(firstDifference(packed, expected, n), undefined, `${label}, chunked`);
      // Packed, in place in a shared memory at an unaligned offset.
      const memory = new WebAssembly.Memory({ initial: 40, maximum: 64, shared: true });
      const view = new Uint8Array(memory.buffer, 65536 + 4, pixels.length);
      view.set(pixels);
      assert.equal(passes[run](view, n, 1, view.length, memory), true);
      assert.equal(firstDifference(view, expected, n), undefined, `${label}, in place`);
      // Padded rows (odd widths, a gap after each row that must stay untouched), both ways.
      for (const width of [1, 15, 37, 300]) {
        const rows = Math.floor(n / width);
        const stride = width * 4 + 20;
        const padded = new Uint8Array(rows * stride).fill(0xab);
        for (let y = 0; y < rows; y++) padded.set(pixels.subarray(y * width * 4, (y + 1) * width * 4), y * stride);
        const want = padded.slice();
        refRun(want, 0, width, rows, stride);
        const chunked = padded.slice();
        chunkedOnly[run](chunked, width, rows, stride);
        assert.equal(firstDifference(chunked, want, width), undefined, `${label}, padded rows of ${width}, chunked`);
        const inPlace = new Uint8Array(memory.buffer, 65536, padded.length);
        inPlace.set(padded);
        passes[run](inPlace, width, rows, stride, memory);
        assert.equal(firstDifference(inPlace, want, width), undefined, `${label}, padded rows of ${width}, in place`);
      }
    }
  });

  test('opaque pixels are only read: both passes return false and write nothing', () => {
    const rgba = randomImage(333, 17, rng(3), true);
    const before = rgba.slice();
    assert.equal(passes.premultiply(rgba, 333, 17, 333 * 4), false);
    assert.equal(passes.unpremultiply(rgba, 333, 17, 333 * 4), false);
    assert.ok(Buffer.from(rgba).equals(Buffer.from(before)));
  });
});

describe('the manifest field', () => {
  test('"alpha" is "straight" (the default) or "premultiplied"; anything else is refused, naming the field', () => {
    const base = { name: 'mine', params: [] };
    assert.equal(alphaMode(parseManifest(JSON.stringify(base), 'mine.json')), 'straight');
    assert.equal(alphaMode(parseManifest(JSON.stringify({ ...base, alpha: 'straight' }), 'mine.json')), 'straight');
    assert.equal(alphaMode(parseManifest(JSON.stringify({ ...base, alpha: 'premultiplied' }), 'mine.json')), 'premultiplied');
    for (const bad of ['premultiply', 'associated', true, 1]) {
      assert.throws(() => parseManifest(JSON.stringify({ ...base, alpha: bad }), 'mine.json'), {
        code: 'TESSERA_FILTER_INVALID',
        message: `mine.json: invalid manifest: alpha must be "straight" or "premultiplied" (the default is "straight"), got ${JSON.stringify(bad)}`,
      });
    }
    // Twins must agree on it: the host runs the twin with the plain module's manifest.
    assert.deepEqual(manifestDifferences(parseManifest(JSON.stringify(base), 'a'), parseManifest(JSON.stringify({ ...base, alpha: 'premultiplied' }), 'b')), ['alpha "straight" vs "premultiplied"']);
  });

  test('the neighbourhood built-ins declare premultiplied, the point filters do not; the references agree with the manifests', () => {
    for (const name of builtinFilterNames()) {
      const filter = loadFilter(name);
      const mode = alphaMode(filter.manifest);
      assert.equal(mode, PREMULTIPLIED.includes(name) ? 'premultiplied' : 'straight', name);
      assert.equal(referenceFilters[name].alpha ?? 'straight', mode, `${name}: reference and manifest`);
      assert.equal(referenceFilters[name].halo(resolveParams(filter.manifest)) > 0, mode === 'premultiplied', `${name}: premultiplied exactly when it reads neighbours`);
    }
    // The worked example adds a constant (128) to a difference: not a weighted mean, so it stays straight (docs/drafts/alpha.md).
    assert.equal(alphaMode(parseManifest(readFileSync(join(REPO_ROOT, 'examples/emboss.json'), 'utf8'), 'emboss.json')), 'straight');
  });
});

describe('a cut-out blurred', () => {
  const width = 61;
  const height = 47;
  const rgba = cutOut(width, height);

  test('no green fringe: every visible pixel stays pure red, transparent ones come out 0,0,0,0 — straight alpha would have bled green', async () => {
    for (const [name, params] of [['box-blur', { radius: 4 }], ['gaussian-blur', { sigma: 3 }]] as const) {
      await withSession({ filter: name, params, tileSize: 16, workers: 1 }, async (session) => {
        const out = await session.filterPixels(rgba, width, height);
        let visible = 0;
        let partly = 0;
        for (let i = 0; i < out.length; i += 4) {
          const a = out[i + 3];
          if (a === 0) {
            assert.deepEqual([...out.subarray(i, i + 4)], [0, 0, 0, 0], `${name}: a transparent pixel is 0,0,0,0`);
            continue;
          }
          visible++;
          if (a < 255) partly++;
          assert.deepEqual([...out.subarray(i, i + 3)], RED, `${name}: pixel ${i / 4} (alpha ${a}) is pure red`);
        }
        assert.ok(visible > 0 && partly > 100, `${name}: a soft edge of ${partly} pixels`);
        const straight = straightReference(name, session.params, rgba, width, height);
        let fringe = 0;
        for (let i = 0; i < straight.length; i += 4) if (straight[i + 3] > 0 && straight[i + 1] > 0) fringe++;
        assert.ok(fringe > 100, `${name}: without premultiplying, ${fringe} visible pixels would have turned green`);
      });
    }
  });

  test('box-blur equals a premultiplied box blur written from scratch with plain loops', async () => {
    for (const radius of [1, 3, 6]) {
      const expected = premultipliedBoxBlurByHand(rgba, width, height, radius);
      await withSession({ filter: 'box-blur', params: { radius }, tileSize: 9, workers: 2, threadStart: 'eager' }, async (session) => {
        assert.equal(firstDifference(await session.filterPixels(rgba, width, height), expected, width), undefined, `radius ${radius}`);
      });
      assert.equal(firstDifference(applyReference('box-blur', [radius], rgba, width, height), expected, width), undefined, `the reference, radius ${radius}`);
    }
  });

  test('tiled == reference bit for bit: every premultiplied filter × copy, shared, pipe × bands of 1 and 13 rows and the planner\'s, tiles of 7 and 16', async () => {
    const translucent = randomImage(width, height, rng(16));
    for (const name of PREMULTIPLIED) {
      const params: Record<string, number> = { sharpen: { amount: 2.5, radius: 3 }, 'gaussian-blur': { sigma: 2.5 }, 'box-blur': { radius: 3 } }[name] ?? {};
      for (const strategy of ['copy', 'shared', 'pipe'] as StrategyName[]) {
        // Bands of 1 row (every halo reaches across other bands), of 13 (not a multiple of the tile), the planner's own.
        for (const [bandRows, tileSize] of [[1, 7], [13, 16], [undefined, 7]] as const) {
          await withSession({ filter: name, params, strategy, workers: 2, threadStart: 'eager', tileSize, bandRows }, async (session) => {
            for (const [label, image] of [['cut-out', rgba], ['random alpha', translucent]] as const) {
              const diff = firstDifference(await session.filterPixels(image, width, height), applyReference(name, session.params, image, width, height), width);
              assert.equal(diff, undefined, `${name} ${strategy} bandRows=${bandRows} tile=${tileSize} ${label}: ${diff}`);
            }
          });
        }
      }
    }
  });

  test('disk (a process per tile): tiled == reference', async () => {
    const small = cutOut(40, 30);
    for (const [name, params] of [['gaussian-blur', { sigma: 1.5 }], ['sharpen', { amount: 2, radius: 2 }]] as const) {
      await withSession({ filter: name, params, strategy: 'disk', workers: 2, tileSize: 24 }, async (session) => {
        const diff = firstDifference(await session.filterPixels(small, 40, 30), applyReference(name, session.params, small, 40, 30), 40);
        assert.equal(diff, undefined, `${name} disk: ${diff}`);
      });
    }
  });

  test('point filters keep straight alpha: invert leaves the hidden green of transparent pixels inverted, not zeroed', async () => {
    await withSession({ filter: 'invert', workers: 1 }, async (session) => {
      const out = await session.filterPixels(rgba, width, height);
      assert.deepEqual([...out.subarray(0, 4)], [255, 0, 255, 0]);
      assert.equal(firstDifference(out, straightReference('invert', [], rgba, width, height), width), undefined);
    });
  });
});

describe('opaque images', () => {
  test('are byte-identical to straight filtering, and the passes write nothing', async () => {
    const width = 150;
    const height = 90;
    const rgba = randomImage(width, height, rng(7), true);
    for (const name of PREMULTIPLIED) {
      for (const strategy of ['copy', 'shared'] as StrategyName[]) {
        await withSession({ filter: name, strategy, workers: 2, threadStart: 'eager', tileSize: 32, bandRows: 32 }, async (session) => {
          const before = straightReference(name, session.params, rgba, width, height);
          assert.equal(firstDifference(await session.filterPixels(rgba, width, height), before, width), undefined, `${name} ${strategy}`);
        });
      }
    }
    // The passes themselves, on a region as the band loop hands it over.
    const layout = paddedLayout(width, height, 3);
    const source = new Uint8Array(layout.byteLength);
    writePadded(rgba, layout, source, 0);
    const copy = source.slice();
    const region = { layout, source, srcBase: 0, dstBase: 0 };
    assert.equal(premultiplyRegion(region), false);
    assert.equal(unpremultiplyPixels(rgba), false);
    assert.ok(Buffer.from(source).equals(Buffer.from(copy)), 'nothing written');
    // A built-in's opaque region skips the unpremultiply pass; a user's filter is not trusted to keep opaque pixels opaque.
    assert.equal(premultiplyForFilter({ keepsOpaque: true }, region), false, 'built-in: no unpremultiply');
    assert.equal(premultiplyForFilter({ keepsOpaque: false }, region), true, "a user's filter: its output is checked");
    assert.equal(premultiplyForFilter({ keepsOpaque: true }, { ...region, source: new Uint8Array(0) }, true), false, 'known opaque: not even scanned');
  });
});

describe("a user's filter on premultiplied alpha", () => {
  const tmp = tempDir('tessera-alpha-user-');
  after(tmp.cleanup);

  test('one that lowers alpha: bands that are opaque and bands that are not all match the image filtered whole', async () => {
    // fade: copies each pixel and sets its alpha to 128 — an opaque band's output is translucent.
    const body = `(local $y i32) (local $x i32) (local $o i32)
      (block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $y) (local.get $h)))
        (local.set $x (i32.const 0))
        (block $cols (loop $col
          (br_if $cols (i32.ge_u (local.get $x) (local.get $w)))
          (local.set $o (i32.shl (local.get $x) (i32.const 2)))
          (i32.store (i32.add (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $ds))) (local.get $o))
            (i32.or (i32.and (i32.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $ss))) (local.get $o))) (i32.const 0x00ffffff))
                    (i32.const 0x80000000)))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br $col)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $row)))`;
    const forms = {
      shared: writeWasm(tmp.dir, 'fade', abiFilterWat(body), { name: 'fade', alpha: 'premultiplied' }),
      copy: writeWasm(tmp.dir, 'fade-plain', abiFilterWat(body, { shared: false }), { name: 'fade-plain', alpha: 'premultiplied' }),
    };
    const width = 50;
    const height = 40;
    // The top half opaque, the bottom half not.
    const rgba = randomImage(width, height, rng(8));
    for (let i = 3; i < rgba.length / 2; i += 4) rgba[i] = 255;
    const expected = rgba.slice();
    premultiplyRows(expected, 0, width, height, width * 4);
    for (let i = 3; i < expected.length; i += 4) expected[i] = 128;
    unpremultiplyRows(expected, 0, width, height, width * 4);
    for (const [strategy, filter] of Object.entries(forms) as Array<[StrategyName, string]>) {
      for (const bandRows of [8, 40]) {
        await withSession({ filter, strategy, workers: 1, tileSize: 16, bandRows }, async (session) => {
          const diff = firstDifference(await session.filterPixels(rgba, width, height), expected, width);
          assert.equal(diff, undefined, `${strategy} bandRows=${bandRows}: ${diff}`);
        });
      }
    }
  });
});

describe('other routes', () => {
  const tmp = tempDir('tessera-alpha-');
  after(tmp.cleanup);
  const width = 300;
  const height = 400;
  const rgba = cutOut(width, height);
  let file = '';
  let expected: Uint8Array;
  before(async () => {
    mkdirSync(join(tmp.dir, 'in'));
    file = join(tmp.dir, 'in', 'cutout.png');
    await fromRgba(rgba, width, height).png().toFile(file);
    expected = applyReference('gaussian-blur', [300], (await decodeRgba(file)).data, width, height);
  });

  test('Session.filterPaddedBand (a queue band job) gives each band the rows of the whole image', async () => {
    await withSession({ filter: 'gaussian-blur', params: { sigma: 3 }, tileSize: 64, workers: 1 }, async (session) => {
      const bandRows = 64;
      const out = new Uint8Array(width * height * 4);
      const read = rowsFromMemory(rgba, width);
      for (let i = 0; i < bandCount(height, bandRows); i++) {
        const band = bandAt(i, height, bandRows, session.halo);
        const layout = paddedLayout(width, band.rows, session.halo);
        const region = { layout, source: new Uint8Array(layout.byteLength), srcBase: 0, dstBase: 0 } satisfies PreparedImage;
        await read(band, region);
        const done = await session.filterPaddedBand(region.source, width, band.rows, session.halo, band.y0, 'cutout.png');
        out.set(done.rows, band.y0 * width * 4);
      }
      assert.equal(firstDifference(out, applyReference('gaussian-blur', session.params, rgba, width, height), width), undefined);
    });
  });

  test('files, whole and streamed in bands: the written pixels equal the reference', async () => {
    for (const [label, bands] of [['whole', {}], ['streamed', { streamAbovePixels: 0, bandRows: 48 }]] as const) {
      const out = join(tmp.dir, `out-${label}`);
      mkdirSync(out);
      const summary = await withSession({ filter: 'gaussian-blur', params: { sigma: 3 }, tileSize: 64, workers: 2, ...bands }, (s) => s.run([file], out));
      assert.equal(summary.succeeded, 1, summary.results[0].error);
      assert.equal(summary.results[0].bandRows, label === 'streamed' ? 48 : undefined);
      const written = await decodeRgba(join(out, 'cutout.png'));
      assert.equal(firstDifference(written.data, expected, width), undefined, label);
    }
  });

  describe('over the queue', { skip: requireRedis() }, () => {
    let redis: LocalRedis;
    const workers: ChildProcess[] = [];
    before(async () => {
      redis = await startLocalRedis();
      for (let i = 0; i < 2; i++) workers.push(await startWorker(redis.url));
    });
    after(async () => {
      for (const w of workers) if (isAlive(w)) w.kill('SIGKILL');
      await redis?.stop();
    });

    test('whole-image jobs and band jobs write the reference pixels', async () => {
      for (const [label, split] of [['image job', {}], ['band jobs', { splitAbovePixels: 0, bandRows: 64 }]] as const) {
        const out = join(tmp.dir, `queue-${label.replace(' ', '-')}`);
        mkdirSync(out);
        const summary = await withSession({ filter: 'gaussian-blur', params: { sigma: 3 }, tileSize: 64, backend: 'queue', redis: redis.url, ...split }, (s) => s.run([file], out));
        assert.equal(summary.succeeded, 1, summary.results[0].error);
        if (label === 'band jobs') assert.equal(summary.results[0].bandRows, 64);
        const written = await decodeRgba(join(out, 'cutout.png'));
        assert.equal(firstDifference(written.data, expected, width), undefined, label);
      }
    });
  });
});
