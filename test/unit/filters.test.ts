/**
 * The built-in filters: every WebAssembly build (plain and shared memory) against its
 * plain-TypeScript reference, byte for byte, on random images of awkward sizes with
 * params across the manifest ranges (min and max included), padded strides and
 * 4-but-not-16-aligned pointers; plus exact small cases and the kernel arithmetic.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { expNeg, gaussianKernel, referenceFilters } from '../../src/reference/index.js';
import { parseManifest, type FilterManifest } from '../../src/filter/manifest.js';
import { BUILTIN_FILTER_DIR } from '../../src/filter/artifacts.js';
import { builtinFilterNames } from '../../src/filter/filter-module.js';
import { firstDifference, rng } from '../helpers/images.js';
import { REPO_ROOT } from '../helpers/paths.js';

const NAMES = ['box-blur', 'brightness-contrast', 'gaussian-blur', 'grayscale', 'invert', 'sepia', 'sharpen', 'sobel'];
const SIZES: ReadonlyArray<readonly [number, number]> = [[1, 1], [3, 5], [17, 9], [33, 31], [64, 1], [1, 64], [40, 23]];
const HOST_BASE = 65536;
const PAGE = 65536;

interface FilterExports {
  halo(p0: number, p1: number, p2: number, p3: number): number;
  scratch_size(w: number, h: number, p0: number, p1: number, p2: number, p3: number): number;
  filter(src: number, srcStride: number, dst: number, dstStride: number, w: number, h: number,
    scratch: number, p0: number, p1: number, p2: number, p3: number): void;
  tessera_abi(): number;
}

const modules = new Map<string, WebAssembly.Module>();
function compiled(file: string): WebAssembly.Module {
  let m = modules.get(file);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(join(BUILTIN_FILTER_DIR, file)));
    modules.set(file, m);
  }
  return m;
}

function manifest(name: string): FilterManifest {
  const path = join(REPO_ROOT, 'assembly/filters', `${name}.json`);
  return parseManifest(readFileSync(path, 'utf8'), path);
}

/** A fresh instance of a filter over a new memory of `pages` pages. */
function instantiate(name: string, pages: number, shared: boolean): { exports: FilterExports; memory: WebAssembly.Memory } {
  const memory = shared
    ? new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true })
    : new WebAssembly.Memory({ initial: pages });
  const instance = new WebAssembly.Instance(compiled(`${name}${shared ? '.shared' : ''}.wasm`), { env: { memory } });
  return { exports: instance.exports as unknown as FilterExports, memory };
}

/** Param sets for a filter: all minimums, all maximums, defaults, and random values in range. */
function paramSets(m: FilterManifest, next: () => number, randomCount: number): number[][] {
  const toI32 = (spec: FilterManifest['params'][number], v: number): number =>
    spec.type === 'int' ? Math.round(v) : Math.round(v * spec.scale);
  const sets = [
    m.params.map((p) => toI32(p, p.min)),
    m.params.map((p) => toI32(p, p.max)),
    m.params.map((p) => toI32(p, p.default)),
  ];
  for (let i = 0; i < randomCount; i++) sets.push(m.params.map((p) => toI32(p, p.min + (p.max - p.min) * next())));
  // Mixed corners: first param at min, the rest at max, and so on.
  if (m.params.length > 1) {
    sets.push(m.params.map((p, j) => toI32(p, j === 0 ? p.min : p.max)));
    sets.push(m.params.map((p, j) => toI32(p, j === 0 ? p.max : p.min)));
  }
  const unique = new Map(sets.map((s) => [s.join(','), s]));
  return [...unique.values()];
}

const p4 = (params: readonly number[]): [number, number, number, number] =>
  [params[0] ?? 0, params[1] ?? 0, params[2] ?? 0, params[3] ?? 0];

interface Layout {
  halo: number;
  srcStride: number;
  srcStart: number;
  srcBytes: number;
  /** First interior pixel. */
  src: number;
  dst: number;
  dstStride: number;
  scratch: number;
  scratchSize: number;
  end: number;
}

/**
 * Places a halo-padded source, the destination and the scratch in memory from HOST_BASE,
 * with optional row padding and pointers that are 4- but not 16-byte aligned.
 */
function layout(width: number, height: number, halo: number, scratchSize: number, next: () => number, awkward: boolean): Layout {
  const pad = () => (awkward ? 1 + Math.floor(next() * 5) : 0);
  const misalign = () => (awkward ? 4 * (1 + Math.floor(next() * 3)) : 0);
  const srcStride = (width + 2 * halo + pad()) * 4;
  const srcStart = HOST_BASE + misalign();
  const srcBytes = srcStride * (height + 2 * halo);
  const dstStride = (width + pad()) * 4;
  const dst = ((srcStart + srcBytes + 15) & ~15) + 64 + misalign();
  const scratch = (dst + dstStride * height + 64 + 15) & ~15;
  return {
    halo, srcStride, srcStart, srcBytes, src: srcStart + halo * srcStride + halo * 4,
    dst, dstStride, scratch, scratchSize, end: scratch + scratchSize + 256,
  };
}

function dstRows(mem: Uint8Array, l: Layout, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) out.set(mem.subarray(l.dst + y * l.dstStride, l.dst + y * l.dstStride + width * 4), y * width * 4);
  return out;
}

/**
 * Runs the WASM filter and the TS reference on the same random memory image and asserts
 * byte-identical output, an untouched source and no writes outside dst and scratch.
 */
function checkCase(name: string, width: number, height: number, params: number[], seed: number, opts: { shared?: boolean; awkward?: boolean } = {}): void {
  const next = rng(seed);
  const ref = referenceFilters[name];
  const probe = instantiate(name, 1, false).exports;
  const halo = probe.halo(...p4(params));
  assert.equal(halo, ref.halo(params), `${name} halo(${params})`);
  assert.ok(halo >= 0 && halo <= 128);
  const scratchSize = probe.scratch_size(width, height, ...p4(params));
  assert.ok(scratchSize >= 0, `${name} scratch_size`);
  const l = layout(width, height, halo, scratchSize, next, opts.awkward ?? true);
  const pages = Math.ceil(l.end / PAGE) + 1;
  const { exports, memory } = instantiate(name, pages, opts.shared ?? false);
  const mem = new Uint8Array(memory.buffer);
  // Random bytes everywhere the host owns: source, dst, padding and scratch alike, so
  // reading uninitialized scratch or depending on dst contents shows up as a mismatch.
  for (let i = HOST_BASE; i < l.end; i++) mem[i] = (next() * 256) | 0;
  const before = mem.slice(0, pages * PAGE);
  const expected = before.slice();
  ref.filter(expected, l.src, l.srcStride, l.dst, l.dstStride, width, height, params);
  exports.filter(l.src, l.srcStride, l.dst, l.dstStride, width, height, l.scratch, ...p4(params));
  const what = `${name}${opts.shared ? ' (shared)' : ''} ${width}x${height} params [${params}]`;
  const diff = firstDifference(dstRows(mem, l, width, height), dstRows(expected, l, width, height), width);
  assert.equal(diff, undefined, `${what}: ${diff}`);
  // Nothing outside dst rows and scratch may change.
  for (let i = HOST_BASE; i < l.end; i++) {
    const inScratch = i >= l.scratch && i < l.scratch + l.scratchSize;
    const off = i - l.dst;
    const inDst = off >= 0 && off < l.dstStride * height && off % l.dstStride < width * 4;
    if (!inScratch && !inDst && mem[i] !== before[i]) assert.fail(`${what}: wrote byte ${i} outside dst and scratch`);
  }
}

for (const name of NAMES) {
  test(`${name}: WASM == TypeScript reference on odd sizes, params min/max/default/random`, () => {
    const m = manifest(name);
    assert.equal(m.name, name);
    const next = rng(0x5eed + name.length * 131);
    let seed = 1;
    for (const [w, h] of SIZES) {
      for (const params of paramSets(m, next, 2)) {
        checkCase(name, w, h, params, seed++ * 7919 + name.charCodeAt(0), { awkward: (seed & 1) === 0 });
      }
    }
  });

  test(`${name}: shared-memory build == TypeScript reference`, () => {
    const m = manifest(name);
    const next = rng(0xa11 + name.length);
    const sets = paramSets(m, next, 1);
    checkCase(name, 33, 31, sets[0], 11, { shared: true });
    checkCase(name, 17, 9, sets[sets.length - 1], 12, { shared: true });
    checkCase(name, 64, 1, sets[1 % sets.length], 13, { shared: true });
  });

  test(`${name}: output depends only on the pixels around it, not on the tile`, () => {
    // Filter a 37x29 image whole, then as tiles cut from the same padded source: every
    // tile's output must equal the same rectangle of the whole-image output.
    const m = manifest(name);
    const next = rng(0x7e11 + name.length);
    for (const params of paramSets(m, next, 1)) {
      const [W, H] = [37, 29];
      const probe = instantiate(name, 1, false).exports;
      const halo = probe.halo(...p4(params));
      const l = layout(W, H, halo, probe.scratch_size(W, H, ...p4(params)), next, true);
      const { exports, memory } = instantiate(name, Math.ceil(l.end / PAGE) + 1, false);
      const mem = new Uint8Array(memory.buffer);
      for (let i = l.srcStart; i < l.srcStart + l.srcBytes; i++) mem[i] = (next() * 256) | 0;
      exports.filter(l.src, l.srcStride, l.dst, l.dstStride, W, H, l.scratch, ...p4(params));
      const whole = dstRows(mem, l, W, H);
      for (const [tx, ty, tw, th] of [[0, 0, 5, 7], [5, 7, 13, 11], [36, 28, 1, 1], [18, 0, 19, 29], [0, 20, 37, 9]]) {
        const tileScratch = (l.end + 15) & ~15;
        const need = tileScratch + exports.scratch_size(tw, th, ...p4(params)) + tw * th * 4 + 64;
        if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
        const tileDst = need - tw * th * 4 - 32;
        exports.filter(l.src + ty * l.srcStride + tx * 4, l.srcStride, tileDst, tw * 4, tw, th, tileScratch, ...p4(params));
        const out = new Uint8Array(memory.buffer, tileDst, tw * th * 4);
        for (let y = 0; y < th; y++) {
          for (let x = 0; x < tw * 4; x++) {
            const a = out[y * tw * 4 + x];
            const b = whole[((ty + y) * W + tx) * 4 + x];
            if (a !== b) assert.fail(`${name} [${params}] tile ${tx},${ty} ${tw}x${th}: pixel (${tx + (x >> 2)}, ${ty + y}) channel ${x & 3}: ${a} != ${b}`);
          }
        }
      }
    }
  });
}

/** Runs a WASM filter on an exact image (halo replicated by clamping) and returns the output. */
function runExact(name: string, pixels: number[], width: number, height: number, params: number[] = []): number[] {
  const probe = instantiate(name, 1, false).exports;
  const halo = probe.halo(...p4(params));
  const l = layout(width, height, halo, probe.scratch_size(width, height, ...p4(params)), () => 0, false);
  const { exports, memory } = instantiate(name, Math.ceil(l.end / PAGE) + 1, false);
  const mem = new Uint8Array(memory.buffer);
  for (let y = -halo; y < height + halo; y++) {
    for (let x = -halo; x < width + halo; x++) {
      const sx = Math.min(width - 1, Math.max(0, x));
      const sy = Math.min(height - 1, Math.max(0, y));
      for (let c = 0; c < 4; c++) mem[l.src + y * l.srcStride + x * 4 + c] = pixels[(sy * width + sx) * 4 + c];
    }
  }
  exports.filter(l.src, l.srcStride, l.dst, l.dstStride, width, height, l.scratch, ...p4(params));
  return [...dstRows(mem, l, width, height)];
}

test('exact: invert of a 2x1 image', () => {
  assert.deepEqual(runExact('invert', [10, 20, 30, 40, 0, 255, 128, 7], 2, 1), [245, 235, 225, 40, 255, 0, 127, 7]);
});

test('exact: grayscale keeps white and grays, red is 54, alpha kept', () => {
  assert.deepEqual(runExact('grayscale', [255, 255, 255, 9, 0, 0, 0, 0, 77, 77, 77, 200, 255, 0, 0, 255], 4, 1),
    [255, 255, 255, 9, 0, 0, 0, 0, 77, 77, 77, 200, 54, 54, 54, 255]);
  // 5 pixels: one lands in the scalar tail of the vector loop.
  const five = runExact('grayscale', [0, 255, 0, 1, 0, 0, 255, 2, 1, 2, 3, 4, 255, 0, 0, 5, 0, 255, 0, 6], 5, 1);
  assert.deepEqual(five, [182, 182, 182, 1, 18, 18, 18, 2, 2, 2, 2, 4, 54, 54, 54, 5, 182, 182, 182, 6]);
});

test('exact: identities — sepia 0, brightness-contrast 0/0, sharpen amount 0, gaussian sigma 0.1', () => {
  const next = rng(99);
  const img = Array.from({ length: 9 * 7 * 4 }, () => (next() * 256) | 0);
  assert.deepEqual(runExact('sepia', img, 9, 7, [0]), img);
  assert.deepEqual(runExact('brightness-contrast', img, 9, 7, [0, 0]), img);
  assert.deepEqual(runExact('sharpen', img, 9, 7, [0, 3]), img);
  assert.deepEqual(runExact('gaussian-blur', img, 9, 7, [10]), img);
});

test('exact: blurs keep a constant image constant; sobel of a constant image is black', () => {
  const px = [200, 13, 97, 180];
  const img = Array.from({ length: 11 * 6 }, () => px).flat();
  for (const r of [1, 2, 3, 4, 7, 32]) assert.deepEqual(runExact('box-blur', img, 11, 6, [r]), img, `box-blur r=${r}`);
  for (const s of [10, 55, 200, 777, 2000]) assert.deepEqual(runExact('gaussian-blur', img, 11, 6, [s]), img, `gaussian sigma100=${s}`);
  assert.deepEqual(runExact('sharpen', img, 11, 6, [500, 8]), img);
  assert.deepEqual(runExact('sobel', img, 11, 6), Array.from({ length: 11 * 6 }, () => [0, 0, 0, 180]).flat());
});

test('exact: brightness-contrast extremes', () => {
  const img = [0, 127, 128, 10, 255, 129, 1, 20];
  assert.deepEqual(runExact('brightness-contrast', img, 2, 1, [0, -100]), [128, 128, 128, 10, 128, 128, 128, 20]);
  // Contrast 100 is slope 100 around 128: 127 → 128 - 100, 129 → 128 + 100.
  assert.deepEqual(runExact('brightness-contrast', img, 2, 1, [0, 100]), [0, 28, 128, 10, 255, 228, 0, 20]);
  assert.deepEqual(runExact('brightness-contrast', img, 2, 1, [255, 0]), [255, 255, 255, 10, 255, 255, 255, 20]);
  assert.deepEqual(runExact('brightness-contrast', img, 2, 1, [-255, 0]), [0, 0, 0, 10, 0, 0, 0, 20]);
});

test('exact: box-blur of a 3x1 ramp with radius 1 (clamped edges)', () => {
  // Columns with clamp-to-edge: [0,0,90] [0,90,255] [90,255,255] three rows each, d = 9.
  const out = runExact('box-blur', [0, 0, 0, 0, 90, 90, 90, 90, 255, 255, 255, 255], 3, 1, [1]);
  const mean = (s: number) => Math.floor((s * 3 + 4) / 9);
  assert.deepEqual(out, [mean(90), mean(90), mean(90), mean(90), mean(345), mean(345), mean(345), mean(345), mean(600), mean(600), mean(600), mean(600)]);
});

test('gaussian kernel: weights sum to 256, each within 1 of the real Gaussian, centre largest', () => {
  for (let s = 10; s <= 2000; s += s < 300 ? 1 : 7) {
    const k = gaussianKernel(s);
    assert.equal(k.radius, Math.max(1, Math.ceil((3 * s) / 100 - 1e-9)), `radius for ${s}`);
    assert.equal(k.weights[0] + 2 * k.weights.slice(1).reduce((a, b) => a + b, 0), 256, `sum for ${s}`);
    const sigma = s / 100;
    const real = k.weights.map((_, i) => Math.exp(-(i * i) / (2 * sigma * sigma)));
    const total = real[0] + 2 * real.slice(1).reduce((a, b) => a + b, 0);
    for (let i = 0; i < k.weights.length; i++) {
      assert.ok(k.weights[i] >= 0 && Math.abs(k.weights[i] - (256 * real[i]) / total) < 1 + 1e-9, `weight ${i} for ${s}: ${k.weights}`);
      if (k.weights[i] > 0) assert.ok(i <= k.effective);
    }
    assert.ok(k.effective === 0 || k.weights[k.effective] > 0);
    assert.ok(k.weights.every((q) => q <= k.weights[0] + 1), `centre for ${s}: ${k.weights}`);
  }
  assert.deepEqual(gaussianKernel(10), { radius: 1, weights: [256, 0], effective: 0 });
  assert.deepEqual(gaussianKernel(200), { radius: 6, weights: [52, 45, 31, 16, 7, 2, 1], effective: 6 });
});

test('gaussian kernel: the WASM filter computes the same weights as the reference for every sigma', () => {
  // filters/gaussian-blur.ts leaves q_0..q_R as i32 at the start of its scratch; every
  // p0 in the manifest range is checked, as an ulp of difference in exp would show here.
  const { exports, memory } = instantiate('gaussian-blur', 4, false);
  const halo = 60;
  const stride = (1 + 2 * halo) * 4;
  const src = HOST_BASE + halo * stride + halo * 4;
  const dst = HOST_BASE + stride * (1 + 2 * halo) + 64;
  const scratch = (dst + 64 + 15) & ~15;
  for (let s = 10; s <= 2000; s++) {
    exports.filter(src, stride, dst, 4, 1, 1, scratch, s, 0, 0, 0);
    const k = gaussianKernel(s);
    const got = [...new Int32Array(memory.buffer, scratch, k.radius + 1)];
    assert.deepEqual(got, k.weights, `sigma100=${s}`);
  }
});

test('expNeg matches Math.exp closely (it only has to be identical to the WASM copy)', () => {
  for (let x = 0; x >= -60; x -= 0.173) {
    const e = Math.exp(x);
    assert.ok(Math.abs(expNeg(x) - e) <= e * 1e-12, `expNeg(${x})`);
  }
  assert.equal(expNeg(0), 1);
});

test('box mean: the f32 reciprocal trick == integer floor division for every reachable sum', () => {
  // lib/box.ts computes floor((V + floor(d/2)) / d) as the bits of f32(f32(V) · f32(1/d)) + 1.5·2^23
  // minus those of 1.5·2^23; each step is emulated exactly here (a product of two f32 values is
  // exact in f64, so rounding it once with Math.fround matches f32 multiplication).
  const magic = 1.5 * 2 ** 23;
  for (let r = 1; r <= 32; r++) {
    const d = (2 * r + 1) ** 2;
    const half = d >> 1;
    const rcp = Math.fround(1 / d);
    for (let v = 0; v <= 255 * d; v++) {
      const viaFloat = Math.fround(Math.fround(v * rcp) + magic) - magic;
      if (viaFloat !== Math.floor((v + half) / d)) assert.fail(`r=${r} V=${v}: ${viaFloat}`);
    }
  }
});

test('all eight built-in filters are present', () => {
  assert.deepEqual(builtinFilterNames(), NAMES);
});

test('every filter exports ABI v1', () => {
  for (const name of NAMES) {
    for (const shared of [false, true]) {
      const { exports } = instantiate(name, 1, shared);
      assert.equal(exports.tessera_abi(), 1);
      const imports = WebAssembly.Module.imports(compiled(`${name}${shared ? '.shared' : ''}.wasm`));
      assert.deepEqual(imports.map((i) => `${i.module}.${i.name}`), ['env.memory'], name);
    }
  }
});
