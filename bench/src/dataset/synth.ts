/**
 * A deterministic, Kodak-shaped synthetic image set.
 *
 * tessera never downloads data, so benchmarks and tests run on a stand-in for the
 * Kodak Lossless True Color Image Suite: 24 RGB images, 18 landscape 768×512 and
 * 6 portrait 512×768 (9.44 Mpx in all). The pictures are procedural scenes —
 * landscapes, towns, still lifes, seascapes and flower close-ups — built from the
 * ingredients that make photographs behave the way they do under filters: smooth
 * gradients (sky, lit walls), hard and anti-aliased edges (horizons, buildings,
 * objects), multi-scale textures (foliage, wood, water, fabric), flat regions and
 * fine sensor grain. They compress about like photos do, not like noise.
 *
 * Everything is driven by a seeded PRNG and plain float arithmetic, so the same
 * (index, seed) gives the same pixels, and the same count + seed gives
 * byte-identical PNG files.
 */

import { mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

/** Options of {@link generateSynthDataset}. */
export interface SynthOptions {
  /** Directory the PNG files are written to (created if missing). */
  outDir: string;
  /** Number of images (default 24, the size of the Kodak set). */
  count?: number;
  /** Seed of the set (an integer, taken modulo 2^32; default 1); the same seed gives the same files. */
  seed?: number;
  /** Called after each image has been written, in index order. */
  onImage?: (file: string, index: number, count: number) => void;
}

/** Name and size of one image of the set. */
export interface SynthImageSpec {
  /** File name, e.g. `kodim01.png`. */
  name: string;
  width: number;
  height: number;
}

/** Positions (0-based) of the portrait images among Kodak's 24. */
const KODAK_PORTRAIT = new Set([3, 8, 9, 17, 18, 19]);
const KODAK_COUNT = 24;
const LONG_SIDE = 768;
const SHORT_SIDE = 512;

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`count must be a positive integer, got ${count}`);
  }
}

function isPortrait(index: number, count: number): boolean {
  const block = Math.floor(index / KODAK_COUNT);
  const fullBlocks = Math.floor(count / KODAK_COUNT);
  const pos = index - block * KODAK_COUNT;
  if (block < fullBlocks) return KODAK_PORTRAIT.has(pos);
  // Trailing partial block of r images: about one in four portrait, spread evenly.
  const r = count - fullBlocks * KODAK_COUNT;
  const portraits = Math.floor((r + 1) / 4);
  for (let k = 0; k < portraits; k++) {
    if (Math.floor(((k + 0.5) * r) / portraits) === pos) return true;
  }
  return false;
}

/**
 * The names and sizes the set will have: `kodim01.png` … `kodimNN.png` (more digits
 * past 99 images), 768×512 landscape or 512×768 portrait. With 24 images the
 * portrait ones sit where Kodak's do (indices 3, 8, 9, 17, 18, 19, 0-based); other
 * counts repeat that pattern per block of 24 and keep the same 3:1
 * landscape:portrait mix in a trailing partial block.
 * @param count number of images (positive integer, default 24)
 */
export function synthDatasetSpec(count = KODAK_COUNT): SynthImageSpec[] {
  checkCount(count);
  const digits = Math.max(2, String(count).length);
  const specs: SynthImageSpec[] = [];
  for (let i = 0; i < count; i++) {
    const portrait = isPortrait(i, count);
    specs.push({
      name: `kodim${String(i + 1).padStart(digits, '0')}.png`,
      width: portrait ? SHORT_SIDE : LONG_SIDE,
      height: portrait ? LONG_SIDE : SHORT_SIDE,
    });
  }
  return specs;
}

// ---------------------------------------------------------------------------
// Random numbers

function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** sfc32, seeded through a 32-bit integer hash. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: number) {
    this.a = hash32(seed ^ 0x9e3779b9);
    this.b = hash32(this.a ^ Math.imul(stream + 1, 0x85ebca6b));
    this.c = hash32(this.b ^ 0xc2b2ae35);
    this.d = 1;
    for (let i = 0; i < 15; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo) * this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(items.length * this.next())];
  }

  /** Roughly normal, mean 0, standard deviation 1 (Irwin–Hall of 4). */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * 1.7320508;
  }
}

// ---------------------------------------------------------------------------
// Colours and small maths

type RGB = [number, number, number];

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function smoothstep(e0: number, e1: number, v: number): number {
  const t = clamp01((v - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
}

function mix(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** mix() into `out` without allocating (for per-pixel use). */
function mixTo(out: RGB, a: RGB, b: RGB, t: number, k = 1): void {
  out[0] = (a[0] + (b[0] - a[0]) * t) * k;
  out[1] = (a[1] + (b[1] - a[1]) * t) * k;
  out[2] = (a[2] + (b[2] - a[2]) * t) * k;
}

function dist(dx: number, dy: number): number {
  return Math.sqrt(dx * dx + dy * dy);
}

function scale(a: RGB, k: number): RGB {
  return [a[0] * k, a[1] * k, a[2] * k];
}

/** Random brightness and tint change of a colour. */
function jitter(c: RGB, rng: Rng, amount: number): RGB {
  const k = 1 + amount * (rng.next() * 2 - 1);
  return [
    c[0] * k + amount * 60 * (rng.next() - 0.5),
    c[1] * k + amount * 60 * (rng.next() - 0.5),
    c[2] * k + amount * 60 * (rng.next() - 0.5),
  ];
}

// ---------------------------------------------------------------------------
// Scratch memory

/**
 * Free lists of large zero-filled scratch arrays, reused between the images of a
 * set: allocating ~20 MB of typed arrays per image costs more in GC than filling
 * old ones with zeros.
 */
class Pool {
  private readonly free = new Map<number, Float32Array[]>();
  private used: Float32Array[] = [];

  take(n: number): Float32Array {
    const a = this.free.get(n)?.pop();
    if (a) a.fill(0);
    const b = a ?? new Float32Array(n);
    this.used.push(b);
    return b;
  }

  /** Makes everything taken since the last call available again. */
  recycle(): void {
    for (const a of this.used) {
      const list = this.free.get(a.length);
      if (list) list.push(a);
      else this.free.set(a.length, [a]);
    }
    this.used = [];
  }
}

/** The pool of the image being rendered (rendering is synchronous, one image at a time). */
let currentPool: Pool | undefined;

/** A zero-filled array, from the current pool if large. */
function scratch(n: number): Float32Array {
  return currentPool && n >= 65536 ? currentPool.take(n) : new Float32Array(n);
}

// ---------------------------------------------------------------------------
// Noise fields

/**
 * Adds one octave of smooth value noise (lattice cells cellX × cellY pixels, values
 * in [-amp, amp]) to `out`.
 */
function addValueNoise(
  out: Float32Array,
  w: number,
  y0: number,
  y1: number,
  cellX: number,
  cellY: number,
  amp: number,
  rng: Rng,
): void {
  const offX = rng.next();
  const offY = rng.next();
  const gw = Math.floor((w - 1) / cellX + offX) + 2;
  // Only the lattice rows that rows y0..y1-1 need.
  const j0 = Math.floor(y0 / cellY + offY);
  const gh = Math.floor((y1 - 1) / cellY + offY) + 2 - j0;
  const lat = new Float32Array(gw * gh);
  const k = (2 * amp) / 4294967296;
  const salt = rng.u32() | 0;
  for (let i = 0; i < lat.length; i++) {
    // lowbias32 of (i + salt), inlined: much cheaper than a PRNG call per value.
    let x = (i + salt) | 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d);
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b);
    x ^= x >>> 16;
    lat[i] = (x >>> 0) * k - amp;
  }
  const ix = new Int32Array(w);
  const tx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const g = x / cellX + offX;
    const i = Math.floor(g);
    const f = g - i;
    ix[x] = i;
    tx[x] = f * f * (3 - 2 * f);
  }
  const row = new Float32Array(gw);
  for (let y = y0; y < y1; y++) {
    const g = y / cellY + offY;
    const j = Math.floor(g);
    const f = g - j;
    addRow(out, y * w, w, lat, (j - j0) * gw, gw, f * f * (3 - 2 * f), row, ix, tx);
  }
}

/** out[o..o+w) += horizontal interpolation of the row blended between lattice rows b and b+gw. */
function addRow(
  out: Float32Array,
  o: number,
  w: number,
  lat: Float32Array,
  b0: number,
  gw: number,
  t: number,
  row: Float32Array,
  ix: Int32Array,
  tx: Float32Array,
): void {
  const b1 = b0 + gw;
  for (let i = 0; i < gw; i++) row[i] = lat[b0 + i] + (lat[b1 + i] - lat[b0 + i]) * t;
  for (let x = 0; x < w; x++) {
    const i = ix[x];
    const a = row[i];
    out[o + x] += a + (row[i + 1] - a) * tx[x];
  }
}

/** Adds a grid sampled every `f` pixels to `out`, bilinearly interpolated. */
function addUpsampled(out: Float32Array, w: number, y0: number, y1: number, small: Float32Array, sw: number, f: number): void {
  const ix = new Int32Array(w);
  const tx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    ix[x] = Math.floor(x / f);
    tx[x] = (x - ix[x] * f) / f;
  }
  const row = new Float32Array(sw);
  for (let y = y0; y < y1; y++) {
    const j = Math.floor(y / f);
    addRow(out, y * w, w, small, j * sw, sw, (y - j * f) / f, row, ix, tx);
  }
}

interface FbmOptions {
  /** Cell size of the coarsest octave, horizontally. */
  cell: number;
  /** Vertical/horizontal cell ratio (default 1; < 1 gives horizontal streaks). */
  aspect?: number;
  octaves: number;
  /** Amplitude ratio between octaves (default 0.5). */
  gain?: number;
  /** Octaves finer than this many pixels are skipped (default 1). */
  minCell?: number;
}

/** Octaves at least this coarse (in both directions) are computed on a 1/COARSE grid. */
const COARSE = 4;

/**
 * Fractal value noise over w × h pixels, roughly in [-1, 1] (std ≈ 0.3). Only rows
 * y0..y1-1 are computed (the rest stay 0), to save time where a field is used in
 * part of the image only.
 */
function fbm(w: number, h: number, rng: Rng, o: FbmOptions, y0 = 0, y1 = h): Float32Array {
  const out = scratch(w * h);
  y0 = Math.max(0, Math.min(h, Math.floor(y0)));
  y1 = Math.max(y0, Math.min(h, Math.ceil(y1)));
  if (y1 === y0) return out;
  const gain = o.gain ?? 0.5;
  const minCell = o.minCell ?? 1;
  const octaves: { cx: number; cy: number; amp: number }[] = [];
  let cx = o.cell;
  let cy = o.cell * (o.aspect ?? 1);
  let amp = 1;
  let total = 0;
  for (let k = 0; k < o.octaves && Math.min(cx, cy) >= minCell; k++) {
    octaves.push({ cx, cy, amp });
    total += amp;
    amp *= gain;
    cx /= 2;
    cy /= 2;
  }
  // Smooth octaves are summed on a coarse grid and interpolated up in one pass.
  const coarse = octaves.filter((q) => q.cx >= 4 * COARSE && q.cy >= 4 * COARSE);
  const useCoarse = coarse.length >= 2 && w >= 8 * COARSE && y1 - y0 >= 8 * COARSE;
  if (useCoarse) {
    const sw = Math.floor((w - 1) / COARSE) + 2;
    const sy0 = Math.floor(y0 / COARSE);
    const sy1 = Math.floor((y1 - 1) / COARSE) + 2;
    const small = scratch(sw * sy1);
    for (const q of coarse) addValueNoise(small, sw, sy0, sy1, q.cx / COARSE, q.cy / COARSE, q.amp / total, rng);
    addUpsampled(out, w, y0, y1, small, sw, COARSE);
  }
  for (const q of octaves) {
    if (useCoarse && coarse.includes(q)) continue;
    addValueNoise(out, w, y0, y1, q.cx, q.cy, q.amp / total, rng);
  }
  return out;
}

/** One-dimensional fractal value noise, roughly in [-1, 1]. */
function fbm1(n: number, rng: Rng, cell: number, octaves: number, gain = 0.5): Float32Array {
  return fbm(n, 1, rng, { cell, aspect: 1e6, octaves, gain, minCell: 0.5 });
}

// ---------------------------------------------------------------------------
// Canvas and painting

/** Linear RGB working canvas, 0–255 floats, interleaved. */
class Canvas {
  readonly data: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = scratch(width * height * 3);
  }
}

/**
 * Writes the coverage (0–1) of pixels x0..x1-1 of row y into out[0..x1-x0). A row
 * at a time: per-pixel calls returning fractions would box a heap number each.
 */
type Coverage = (y: number, x0: number, x1: number, out: Float32Array) => void;
/** Colour of pixel (x, y) — `i` is y·width + x — written into `out`. */
type Shader = (x: number, y: number, i: number, out: RGB) => void;

/** Blends a shape over the pixels of a bounding box. */
function paint(
  c: Canvas,
  box: [number, number, number, number],
  coverage: Coverage,
  shader: Shader | RGB,
  opacity = 1,
): void {
  const x0 = Math.max(0, Math.floor(box[0]));
  const y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(c.width, Math.ceil(box[2]));
  const y1 = Math.min(c.height, Math.ceil(box[3]));
  const d = c.data;
  const col: RGB = Array.isArray(shader) ? [shader[0], shader[1], shader[2]] : [0, 0, 0];
  const fn = Array.isArray(shader) ? undefined : shader;
  const cov = new Float32Array(Math.max(0, x1 - x0));
  for (let y = y0; y < y1; y++) {
    coverage(y, x0, x1, cov);
    for (let x = x0; x < x1; x++) {
      const a = cov[x - x0] * opacity;
      if (a <= 0) continue;
      const i = y * c.width + x;
      if (fn) fn(x, y, i, col);
      const p = i * 3;
      d[p] += (col[0] - d[p]) * a;
      d[p + 1] += (col[1] - d[p + 1]) * a;
      d[p + 2] += (col[2] - d[p + 2]) * a;
    }
  }
}

/** Fills everything below a per-column edge `top[x]` (anti-aliased) from row `top` to `bottom`. */
function paintBelow(c: Canvas, top: Float32Array, shader: Shader, bottom = c.height): void {
  const d = c.data;
  const col: RGB = [0, 0, 0];
  for (let x = 0; x < c.width; x++) {
    const t = top[x];
    for (let y = Math.max(0, Math.floor(t)); y < bottom; y++) {
      const a = clamp01(y + 1 - t);
      const i = y * c.width + x;
      shader(x, y, i, col);
      const p = i * 3;
      d[p] += (col[0] - d[p]) * a;
      d[p + 1] += (col[1] - d[p + 1]) * a;
      d[p + 2] += (col[2] - d[p + 2]) * a;
    }
  }
}

/** Axis-aligned rectangle, exact area coverage. */
function rectCov(rx0: number, ry0: number, rx1: number, ry1: number): Coverage {
  return (y, x0, x1, out) => {
    const oy = Math.min(y + 1, ry1) - Math.max(y, ry0);
    for (let x = x0; x < x1; x++) {
      const ox = Math.min(x + 1, rx1) - Math.max(x, rx0);
      out[x - x0] = ox <= 0 || oy <= 0 ? 0 : Math.min(ox, 1) * Math.min(oy, 1);
    }
  };
}

/**
 * Optional raggedness of a shape's outline: the edge moves by `amount × field[i]`
 * pixels (field values roughly in [-1, 1], indexed y·width + x).
 */
interface Ragged {
  field: Float32Array;
  width: number;
  amount: number;
}

/**
 * Rotated ellipse; `soft` is the edge width in pixels (1 ≈ anti-aliased, larger is
 * blurred). The signed distance is the first-order estimate (1 − q) / |∇q|.
 */
function ellipseCov(cx: number, cy: number, rx: number, ry: number, angle: number, soft = 1, ragged?: Ragged): Coverage {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const field = ragged?.field;
  const fw = ragged?.width ?? 0;
  const amount = ragged?.amount ?? 0;
  // Beyond the ellipse grown by this many pixels the coverage is 0.
  const margin = soft + 1 + 2 * amount;
  const ox = rx / (rx + margin);
  const oy = ry / (ry + margin);
  return (y, x0, x1, out) => {
    const dy = y + 0.5 - cy;
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - cx;
      const u = (dx * cos + dy * sin) / rx;
      const v = (dy * cos - dx * sin) / ry;
      if (u * ox * (u * ox) + v * oy * (v * oy) > 1) {
        out[x - x0] = 0;
        continue;
      }
      const q = u * u + v * v;
      const gx = u / rx;
      const gy = v / ry;
      let sd = (1 - q) / (2 * Math.sqrt(gx * gx + gy * gy) + 1e-9);
      if (field) sd += field[y * fw + x] * amount;
      out[x - x0] = clamp01(0.5 + sd / soft);
    }
  };
}

function ellipseBox(cx: number, cy: number, rx: number, ry: number, soft = 1): [number, number, number, number] {
  const r = Math.max(rx, ry) + soft + 1;
  return [cx - r, cy - r, cx + r, cy + r];
}

/** Convex polygon (either winding); `soft` and `ragged` as for {@link ellipseCov}. */
function polygonCov(pts: readonly [number, number][], soft = 1, ragged?: Ragged): Coverage {
  const n = pts.length;
  let area = 0;
  for (let k = 0; k < n; k++) {
    const [ax, ay] = pts[k];
    const [bx, by] = pts[(k + 1) % n];
    area += ax * by - bx * ay;
  }
  const sign = area >= 0 ? 1 : -1;
  // Inward unit normal and offset of each edge (for positive area, inside is to the left).
  const edges = new Float64Array(3 * n);
  for (let k = 0; k < n; k++) {
    const [ax, ay] = pts[k];
    const [bx, by] = pts[(k + 1) % n];
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const nx = (-(by - ay) / len) * sign;
    const ny = ((bx - ax) / len) * sign;
    edges[3 * k] = nx;
    edges[3 * k + 1] = ny;
    edges[3 * k + 2] = -(nx * ax + ny * ay);
  }
  const field = ragged?.field;
  const fw = ragged?.width ?? 0;
  const amount = ragged?.amount ?? 0;
  return (y, x0, x1, out) => {
    const py = y + 0.5;
    for (let x = x0; x < x1; x++) {
      const px = x + 0.5;
      let sd = Infinity;
      for (let k = 0; k < 3 * n; k += 3) {
        const dd = edges[k] * px + edges[k + 1] * py + edges[k + 2];
        if (dd < sd) sd = dd;
      }
      if (field) sd += field[y * fw + x] * amount;
      out[x - x0] = clamp01(0.5 + sd / soft);
    }
  };
}

function polygonBox(pts: readonly [number, number][], pad = 2): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return [x0 - pad, y0 - pad, x1 + pad, y1 + pad];
}

/** Blinn-ish sphere shading: base colour lit from direction (lx, ly, lz) with a highlight. */
function sphereShader(
  cx: number,
  cy: number,
  r: number,
  base: RGB,
  light: RGB,
  texture: Float32Array | undefined,
  texAmp: number,
  shine: number,
): Shader {
  return (x, y, i, out) => {
    const nx = (x + 0.5 - cx) / r;
    const ny = (y + 0.5 - cy) / r;
    const nz = Math.sqrt(Math.max(0, 1 - nx * nx - ny * ny));
    const lam = Math.max(0, nx * light[0] + ny * light[1] + nz * light[2]);
    let k = 0.22 + 0.9 * lam;
    if (texture) k *= 1 + texAmp * texture[i];
    let s = lam * lam;
    s *= s;
    s *= s;
    s *= s;
    s *= s; // lam^32
    const hl = shine * s * 255;
    out[0] = base[0] * k + hl;
    out[1] = base[1] * k + hl;
    out[2] = base[2] * k + hl;
  };
}

function normalize(v: RGB): RGB {
  const l = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / l, v[1] / l, v[2] / l];
}

// ---------------------------------------------------------------------------
// Scene pieces

interface Sky {
  horizonColor: RGB;
  zenith: RGB;
  sunX: number;
  sunY: number;
}

const SKY_STYLES: { zenith: RGB; horizon: RGB }[] = [
  { zenith: [38, 88, 168], horizon: [176, 204, 228] }, // clear
  { zenith: [62, 118, 196], horizon: [205, 222, 236] }, // bright clear
  { zenith: [24, 56, 120], horizon: [150, 182, 214] }, // deep blue
  { zenith: [70, 62, 120], horizon: [238, 160, 96] }, // sunset
  { zenith: [128, 140, 156], horizon: [200, 204, 206] }, // overcast
  { zenith: [88, 128, 172], horizon: [226, 214, 190] }, // hazy warm
];

/** Paints a sky gradient (and clouds) over the whole canvas; returns its colours. */
function paintSky(c: Canvas, rng: Rng, horizon: number, cloudiness: number): Sky {
  const W = c.width;
  const H = c.height;
  const style = rng.pick(SKY_STYLES);
  const zenith = jitter(style.zenith, rng, 0.08);
  const horizonColor = jitter(style.horizon, rng, 0.05);
  const sunX = rng.range(0.1, 0.9) * W;
  const sunY = rng.range(0.1, 0.6) * horizon;
  const side = rng.range(-0.15, 0.15);
  const gamma = rng.range(0.5, 0.9);
  const d = c.data;
  for (let y = 0; y < H; y++) {
    const t = Math.pow(clamp01(y / horizon), gamma);
    const col = mix(zenith, horizonColor, t);
    for (let x = 0; x < W; x++) {
      const k = 1 + side * (x / W - 0.5);
      const p = (y * W + x) * 3;
      d[p] = col[0] * k;
      d[p + 1] = col[1] * k;
      d[p + 2] = col[2] * k;
    }
  }
  if (cloudiness > 0) {
    const cloudCell = W * rng.range(0.25, 0.5);
    const f = fbm(W, H, rng, { cell: cloudCell, aspect: rng.range(0.3, 0.6), octaves: 8, gain: 0.55 }, 0, horizon);
    const thr = 0.35 - 0.45 * cloudiness;
    const light = mix([255, 255, 255], horizonColor, 0.2);
    const shade = mix(scale(zenith, 0.6), [150, 150, 160], 0.6);
    const yEnd = Math.min(H, Math.ceil(horizon));
    const col: RGB = [0, 0, 0];
    for (let y = 0; y < yEnd; y++) {
      const fade = smoothstep(0, horizon * 0.25, horizon - y) * 0.9;
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        const v = f[i];
        const a = smoothstep(thr, thr + 0.25, v) * fade;
        if (a <= 0) continue;
        // Thicker cloud (larger v) and lower cloud is darker underneath.
        const lit = clamp01(0.95 - (v - thr) * 1.2);
        mixTo(col, shade, light, lit);
        const p = i * 3;
        d[p] += (col[0] - d[p]) * a;
        d[p + 1] += (col[1] - d[p + 1]) * a;
        d[p + 2] += (col[2] - d[p + 2]) * a;
      }
    }
  }
  return { horizonColor, zenith, sunX, sunY };
}

function paintSun(c: Canvas, sky: Sky, r: number): void {
  const glowR = r * 6;
  const warm: RGB = [255, 240, 205];
  paint(c, ellipseBox(sky.sunX, sky.sunY, glowR, glowR), (y, x0, x1, out) => {
    for (let x = x0; x < x1; x++) {
      const dd = dist(x + 0.5 - sky.sunX, y + 0.5 - sky.sunY) / glowR;
      out[x - x0] = dd >= 1 ? 0 : (1 - dd) * (1 - dd) * 0.55;
    }
  }, warm);
  paint(c, ellipseBox(sky.sunX, sky.sunY, r, r), ellipseCov(sky.sunX, sky.sunY, r, r, 0, 1.5), [255, 250, 235]);
}

/** Mountain ridges between the sky and `baseline`, far layers hazier, painted down to row `bottom`. */
function paintMountains(c: Canvas, rng: Rng, sky: Sky, baseline: number, layers: number, bottom: number): void {
  const W = c.width;
  const H = c.height;
  const rock = jitter(rng.pick<RGB>([[84, 92, 88], [96, 84, 74], [66, 80, 70], [104, 100, 110]]), rng, 0.1);
  const tex = fbm(W, H, rng, { cell: 96, octaves: 7, gain: 0.6 }, baseline - 0.45 * H, bottom);
  const lightLeft = sky.sunX < W / 2;
  for (let k = 0; k < layers; k++) {
    const near = (k + 1) / layers;
    const amp = H * rng.range(0.08, 0.22) * (1.2 - 0.5 * near);
    const base = baseline - H * 0.03 * (layers - 1 - k);
    const ridge = fbm1(W, rng, W * rng.range(0.2, 0.6), 9, rng.range(0.45, 0.6));
    const top = new Float32Array(W);
    for (let x = 0; x < W; x++) top[x] = base - amp * (0.55 + 0.8 * ridge[x]);
    const haze = 0.8 * (1 - near) + 0.12;
    const col = mix(scale(rock, 0.55 + 0.45 * near), sky.horizonColor, haze);
    const texAmp = 0.06 + 0.3 * near * near;
    const snow = k === 0 && rng.chance(0.4) ? base - amp * rng.range(0.7, 1) : -Infinity;
    const snowCol = mix([236, 240, 246], sky.horizonColor, haze * 0.5);
    const bump = (0.8 + 2.5 * near) * (lightLeft ? 1 : -1);
    for (let x = 0; x < W; x++) top[x] = Math.max(top[x], baseline - 0.45 * H);
    paintBelow(c, top, (x, y, i, out) => {
      // Relief lighting from the texture's horizontal gradient, plus the ridge's
      // slope near the crest (fading further down the face).
      const below = y - top[x];
      const slope = (top[Math.min(W - 1, x + 3)] - top[Math.max(0, x - 3)]) / 6;
      const grad = x > 0 && x + 1 < W ? tex[i + 1] - tex[i - 1] : 0;
      const crest = 1 / (1 + below / (0.15 * amp + 2));
      const lit = 1 + bump * grad * 1.5 + (lightLeft ? -0.12 : 0.12) * Math.max(-1, Math.min(1, slope)) * crest;
      let k2 = lit * (1 + texAmp * tex[i]);
      k2 *= 1 - 0.15 * clamp01(below / (amp + 1));
      const cc = y < snow + tex[i] * amp * 0.6 ? snowCol : col;
      out[0] = cc[0] * k2;
      out[1] = cc[1] * k2;
      out[2] = cc[2] * k2;
    }, Math.min(H, Math.ceil(bottom)));
  }
}

/** A tree: textured canopy (union of blobs) on a trunk. */
function paintTree(c: Canvas, rng: Rng, x: number, ground: number, size: number, foliage: Float32Array, green: RGB): void {
  const trunkW = size * rng.range(0.06, 0.1);
  const trunkH = size * rng.range(0.35, 0.6);
  const bark: RGB = jitter([70, 52, 38], rng, 0.15);
  paint(c, [x - trunkW, ground - trunkH - 2, x + trunkW, ground + 1], rectCov(x - trunkW / 2, ground - trunkH, x + trunkW / 2, ground + 1), (_x, _y, i, out) => {
    const k = 0.8 + 0.35 * foliage[i];
    out[0] = bark[0] * k;
    out[1] = bark[1] * k;
    out[2] = bark[2] * k;
  });
  const conifer = rng.chance(0.35);
  const blobs = conifer ? 1 : rng.int(3, 7);
  const leaf = jitter(green, rng, 0.12);
  for (let b = 0; b < blobs; b++) {
    const ccx = conifer ? x : x + rng.range(-0.35, 0.35) * size;
    const ccy = conifer ? ground - trunkH * 0.4 - size * 0.55 : ground - trunkH - rng.range(0.05, 0.45) * size;
    const rx = conifer ? size * 0.28 : size * rng.range(0.25, 0.42);
    const ry = conifer ? size * 0.7 : rx * rng.range(0.75, 1.05);
    // Ragged outline: the foliage texture pushes the edge in and out.
    const ragged: Ragged = { field: foliage, width: c.width, amount: Math.max(1.5, Math.min(rx, ry) * 0.2) * 2 };
    const cov = conifer
      ? polygonCov([[ccx, ccy - ry], [ccx + rx, ccy + ry], [ccx - rx, ccy + ry]], 1, ragged)
      : ellipseCov(ccx, ccy, rx, ry, 0, 1, ragged);
    const pad = ragged.amount + 2;
    const box: [number, number, number, number] = [ccx - rx - pad, ccy - ry - pad, ccx + rx + pad, ccy + ry + pad];
    paint(c, box, cov, (_x, py, i, out) => {
      const up = clamp01((ccy + ry - py) / (2 * ry));
      const k = (0.45 + 0.35 * up) * (1 + 0.75 * foliage[i]);
      out[0] = leaf[0] * k;
      out[1] = leaf[1] * k;
      out[2] = leaf[2] * k;
    });
  }
}

// ---------------------------------------------------------------------------
// Scenes

function sceneLandscape(c: Canvas, rng: Rng): void {
  const W = c.width;
  const H = c.height;
  const horizon = H * rng.range(0.38, 0.58);
  const sky = paintSky(c, rng, horizon, rng.range(0, 0.8));
  if (rng.chance(0.3)) paintSun(c, sky, Math.min(W, H) * rng.range(0.02, 0.04));
  const layers = rng.int(1, 4);
  const lake = rng.chance(0.45);
  const groundTop = new Float32Array(W);
  const g0 = horizon + H * rng.range(lake ? 0.08 : 0.02, lake ? 0.2 : 0.1);
  const gn = fbm1(W, rng, W * 0.5, 7);
  const tilt = rng.range(-0.08, 0.08) * H;
  let gMin = H;
  let gMax = 0;
  for (let x = 0; x < W; x++) {
    groundTop[x] = g0 + gn[x] * H * 0.06 + tilt * (x / W - 0.5);
    gMin = Math.min(gMin, groundTop[x]);
    gMax = Math.max(gMax, groundTop[x]);
  }
  const gEnd = Math.min(H, Math.ceil(gMax) + 1);
  paintMountains(c, rng, sky, horizon, layers, lake ? horizon + 2 : gEnd);

  const foliage = fbm(W, H, rng, { cell: 24, octaves: 5, gain: 0.75 });

  if (lake) {
    const water: RGB = jitter([40, 70, 90], rng, 0.15);
    const line = Math.floor(horizon);
    const ripple = fbm(W, H, rng, { cell: 120, aspect: 0.06, octaves: 6, gain: 0.6 }, line, gEnd);
    const d = c.data;
    for (let y = line; y < gEnd; y++) {
      const depth = (y - line) / (H - line);
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        const r = ripple[i];
        const sx = Math.min(W - 1, Math.max(0, x + Math.round(r * 6 * depth)));
        const sy = Math.max(0, Math.min(line - 1, 2 * line - y - 1 + Math.round(r * 4)));
        const q = (sy * W + sx) * 3;
        const p = i * 3;
        const k = 0.72 + 0.25 * r;
        const m = 0.25 + 0.35 * depth;
        d[p] = (d[q] * (1 - m) + water[0] * m) * k;
        d[p + 1] = (d[q + 1] * (1 - m) + water[1] * m) * k;
        d[p + 2] = (d[q + 2] * (1 - m) + water[2] * m) * k;
      }
    }
  }

  // Meadow / field / scrub foreground.
  const grass = jitter(rng.pick<RGB>([[88, 118, 52], [120, 128, 60], [150, 132, 78], [70, 100, 48]]), rng, 0.1);
  const dry: RGB = jitter([168, 150, 96], rng, 0.1);
  const patches = fbm(W, H, rng, { cell: W * 0.3, octaves: 4 }, gMin, H);
  const detail = fbm(W, H, rng, { cell: 64, octaves: 7, gain: 0.7 }, gMin, H);
  const blades = fbm(W, H, rng, { cell: 3, aspect: 5, octaves: 2, gain: 0.5 }, gMin, H);
  const roughness = rng.range(0.25, 0.5);
  paintBelow(c, groundTop, (x, y, i, out) => {
    const near = clamp01((y - groundTop[x]) / (H - groundTop[x] + 1));
    const k = (0.8 + 0.35 * near) * (1 + roughness * detail[i] + roughness * 0.6 * near * blades[i]);
    mixTo(out, grass, dry, smoothstep(-0.2, 0.4, patches[i]), k);
  });

  // Trees along the far edge of the ground, a few bigger ones nearer.
  const green: RGB = rng.pick<RGB>([[48, 76, 38], [58, 84, 44], [40, 64, 40]]);
  const trees = rng.int(2, 10);
  for (let t = 0; t < trees; t++) {
    const x = rng.range(0, W);
    const near = rng.next();
    const gx = groundTop[Math.min(W - 1, Math.floor(x))] + near * (H - groundTop[Math.floor(x)]) * 0.5;
    const size = H * (0.06 + 0.25 * near * near) * rng.range(0.7, 1.3);
    paintTree(c, rng, x, gx, size, foliage, green);
  }
}

const WALLS: RGB[] = [
  [214, 196, 160], [196, 120, 84], [228, 224, 212], [170, 170, 166], [210, 178, 120],
  [156, 92, 70], [198, 206, 196], [232, 208, 170], [120, 128, 140],
];

function sceneTown(c: Canvas, rng: Rng): void {
  const W = c.width;
  const H = c.height;
  const street = H * rng.range(0.72, 0.86);
  const sky = paintSky(c, rng, street, rng.range(0, 0.5));
  const plaster = fbm(W, H, rng, { cell: 40, octaves: 6, gain: 0.55 });
  const fine = fbm(W, H, rng, { cell: 2, octaves: 1 });
  const lightFromLeft = rng.chance(0.5);

  // Street and pavement.
  const asphalt: RGB = jitter([92, 92, 96], rng, 0.12);
  const curb = street + H * rng.range(0.03, 0.06);
  const paving: RGB = jitter([168, 162, 150], rng, 0.06);
  paint(c, [0, street - 1, W, H], rectCov(-1, street, W + 1, H + 1), (_x, y, i, out) => {
    const pave = y < curb;
    const base = pave ? paving : asphalt;
    const k = (pave ? 1 : 0.85 + 0.3 * ((y - curb) / (H - curb + 1))) * (1 + 0.08 * plaster[i] + 0.12 * fine[i]);
    out[0] = base[0] * k;
    out[1] = base[1] * k;
    out[2] = base[2] * k;
  });
  // Lane markings.
  const laneY = curb + (H - curb) * rng.range(0.4, 0.7);
  for (let x = rng.range(-60, 0); x < W; x += rng.range(110, 170)) {
    const len = rng.range(50, 80);
    paint(c, [x - 2, laneY - 6, x + len + 2, laneY + 6], rectCov(x, laneY - 2.5, x + len, laneY + 2.5), [214, 212, 200], 0.9);
  }

  // Buildings, left to right.
  let x = -rng.range(0, W * 0.1);
  while (x < W) {
    const bw = W * rng.range(0.12, 0.32);
    const bh = (street - H * 0.08) * rng.range(0.35, 0.95);
    const x0 = Math.round(x);
    const x1 = Math.round(x + bw);
    const top = Math.round(street - bh);
    const wall = jitter(rng.pick(WALLS), rng, 0.1);
    const tex = rng.range(0.03, 0.12);
    const shadeGrad = rng.range(-0.15, 0.15);
    paint(c, [x0, top, x1, street], rectCov(x0, top, x1, street + 0.5), (px, py, i, out) => {
      const k = (1 + shadeGrad * ((px - x0) / (x1 - x0) - 0.5)) * (0.92 + 0.1 * ((py - top) / bh)) * (1 + tex * plaster[i]);
      out[0] = wall[0] * k;
      out[1] = wall[1] * k;
      out[2] = wall[2] * k;
    });
    // Side wall in shadow gives a second tone and a hard vertical edge.
    const side = Math.round(bw * rng.range(0.05, 0.15));
    const sx0 = lightFromLeft ? x1 - side : x0;
    paint(c, [sx0, top, sx0 + side, street], rectCov(sx0, top, sx0 + side, street + 0.5), (_px, _py, i, out) => {
      const k = 0.62 * (1 + tex * plaster[i]);
      out[0] = wall[0] * k;
      out[1] = wall[1] * k;
      out[2] = wall[2] * k;
    });
    // Roof.
    const roof: RGB = jitter(rng.pick<RGB>([[120, 60, 46], [70, 70, 78], [140, 84, 60], [96, 60, 50]]), rng, 0.1);
    if (rng.chance(0.55)) {
      const rh = bh * rng.range(0.12, 0.3);
      const over = bw * 0.04;
      const pts: [number, number][] = [[x0 - over, top + 1], [x1 + over, top + 1], [(x0 + x1) / 2, top - rh]];
      paint(c, polygonBox(pts), polygonCov(pts, 1), (_px, py, i, out) => {
        const k = (0.75 + 0.3 * ((py - top + rh) / rh)) * (1 + 0.15 * plaster[i] + 0.1 * fine[i]);
        out[0] = roof[0] * k;
        out[1] = roof[1] * k;
        out[2] = roof[2] * k;
      });
    } else {
      const ch = Math.max(4, Math.round(bh * 0.04));
      paint(c, [x0 - 3, top - ch, x1 + 3, top + 1], rectCov(x0 - 3, top - ch, x1 + 3, top + 1), scale(wall, 0.7));
    }
    // Door (painted after the windows, which keep clear of it).
    const hasDoor = rng.chance(0.6) && bw > 60;
    const dw = Math.round(rng.range(26, 40));
    const dh = Math.round(Math.min(bh * 0.6, rng.range(55, 85)));
    const dx = Math.round(x0 + side + rng.range(0.1, 0.7) * (bw - side - dw));
    const door: RGB = jitter(rng.pick<RGB>([[76, 50, 36], [40, 60, 80], [110, 40, 36], [50, 50, 50]]), rng, 0.12);
    // Windows.
    const cols = Math.max(1, Math.round(bw / rng.range(38, 64)));
    const rows = Math.max(1, Math.round((bh - 30) / rng.range(50, 80)));
    const cellW = (x1 - x0 - side) / cols;
    const cellH = (street - top - H * 0.07) / rows;
    const ww = Math.round(cellW * rng.range(0.35, 0.6));
    const wh = Math.round(cellH * rng.range(0.45, 0.7));
    const frame = scale(wall, rng.chance(0.5) ? 1.18 : 0.55);
    const shutters = rng.chance(0.35);
    const litHi: RGB = [230, 200, 130];
    const litLo: RGB = [190, 150, 90];
    const shutterColor: RGB = jitter(rng.pick<RGB>([[60, 96, 70], [70, 90, 120], [120, 70, 50]]), rng, 0.1);
    const wx0 = lightFromLeft ? x0 : x0 + side;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < cols; k++) {
        const ax = Math.round(wx0 + k * cellW + (cellW - ww) / 2);
        const ay = Math.round(top + H * 0.03 + r * cellH + (cellH - wh) / 2);
        if (ay + wh > street - 4) continue;
        const mx0 = shutters ? ww * 0.45 + 8 : 8;
        if (hasDoor && ax - mx0 < dx + dw && ax + ww + mx0 > dx && ay + wh + 8 > street - dh) continue;
        paint(c, [ax - 3, ay - 3, ax + ww + 3, ay + wh + 3], rectCov(ax - 3, ay - 3, ax + ww + 3, ay + wh + 3), frame);
        const lit = rng.chance(0.15);
        paint(c, [ax, ay, ax + ww, ay + wh], rectCov(ax, ay, ax + ww, ay + wh), (_px, py, i, out) => {
          // Glass reflects a darkened sky, brighter at the top.
          const t = (py - ay) / wh;
          const n = 1 + 0.05 * fine[i];
          if (lit) mixTo(out, litHi, litLo, t, n);
          else mixTo(out, sky.horizonColor, sky.zenith, t, 0.45 * n);
        });
        // Mullion.
        const mx = ax + Math.round(ww / 2) - 1;
        paint(c, [mx, ay, mx + 2, ay + wh], rectCov(mx, ay, mx + 2, ay + wh), frame);
        if (shutters) {
          const sw = Math.round(ww * 0.45);
          paint(c, [ax - sw - 3, ay - 3, ax - 3, ay + wh + 3], rectCov(ax - sw - 3, ay - 3, ax - 3, ay + wh + 3), shutterColor);
          paint(c, [ax + ww + 3, ay - 3, ax + ww + sw + 3, ay + wh + 3], rectCov(ax + ww + 3, ay - 3, ax + ww + sw + 3, ay + wh + 3), shutterColor);
        }
      }
    }
    if (hasDoor) {
      paint(c, [dx, street - dh, dx + dw, street], rectCov(dx, street - dh, dx + dw, street), (_px, _py, i, out) => {
        const k = 1 + 0.1 * plaster[i];
        out[0] = door[0] * k;
        out[1] = door[1] * k;
        out[2] = door[2] * k;
      });
    }
    x = Math.max(x1, x + 1) + (rng.chance(0.3) ? rng.range(10, W * 0.08) : 0);
  }

  // Building shadows cast on the pavement, and poles.
  paint(c, [0, street, W, curb + 4], rectCov(-1, street, W + 1, street + (curb - street) * 0.5), [30, 30, 40], 0.35);
  const poles = rng.int(0, 3);
  for (let p = 0; p < poles; p++) {
    const px = rng.range(0.05, 0.95) * W;
    const ph = H * rng.range(0.35, 0.6);
    paint(c, [px - 4, street + 4 - ph, px + 4, curb + 2], rectCov(px - 2, curb - ph, px + 2, curb), [38, 38, 40]);
    paint(c, ellipseBox(px, curb - ph, 9, 6), ellipseCov(px, curb - ph, 9, 6, 0, 1), [50, 50, 52]);
  }
  if (rng.chance(0.6)) {
    const foliage = fbm(W, H, rng, { cell: 20, octaves: 5, gain: 0.75 });
    const tx = rng.range(0.1, 0.9) * W;
    paintTree(c, rng, tx, curb - 2, H * rng.range(0.25, 0.4), foliage, [56, 86, 42]);
  }
}

const FRUIT: RGB[] = [[226, 120, 30], [190, 30, 32], [150, 176, 50], [232, 196, 60], [110, 40, 80], [200, 70, 40]];
const CERAMIC: RGB[] = [[40, 70, 140], [230, 226, 214], [170, 80, 50], [60, 110, 90], [200, 170, 110], [30, 30, 34]];

function sceneStillLife(c: Canvas, rng: Rng): void {
  const W = c.width;
  const H = c.height;
  const tableY = H * rng.range(0.45, 0.68);
  const wall = jitter(rng.pick<RGB>([[196, 184, 160], [120, 140, 120], [80, 96, 124], [76, 60, 50], [140, 60, 56], [214, 210, 200]]), rng, 0.08);
  const lx = rng.chance(0.5) ? rng.range(0, 0.3) * W : rng.range(0.7, 1) * W;
  const ly = rng.range(-0.2, 0.2) * H;
  const light = normalize([lx < W / 2 ? -0.6 : 0.6, -0.6, 0.55]);
  const diag = dist(W, H);
  const soft = fbm(W, H, rng, { cell: W * 0.5, octaves: 3 });
  const fine = fbm(W, H, rng, { cell: 3, octaves: 2, gain: 0.5 });
  const d = c.data;
  const fall = rng.range(0.4, 0.8);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const k = (1.12 - fall * (dist(x - lx, y - ly) / diag)) * (1 + 0.04 * soft[i]);
      const p = i * 3;
      d[p] = wall[0] * k;
      d[p + 1] = wall[1] * k;
      d[p + 2] = wall[2] * k;
    }
  }
  // A framed picture or a window patch of light on the wall.
  if (rng.chance(0.5)) {
    const fw = W * rng.range(0.2, 0.35);
    const fh = fw * rng.range(0.6, 1.2);
    const fx = rng.range(0.05, 0.95) * W - fw / 2;
    const fy = Math.max(H * 0.04, tableY - fh - H * rng.range(0.08, 0.25));
    const frameColor: RGB = jitter(rng.pick<RGB>([[120, 90, 40], [40, 30, 24], [200, 180, 120]]), rng, 0.1);
    paint(c, [fx, fy, fx + fw, fy + fh], rectCov(fx, fy, fx + fw, fy + fh), frameColor);
    const b = Math.max(6, fw * 0.07);
    const art = fbm(W, H, rng, { cell: fw * 0.4, octaves: 6, gain: 0.6 }, fy, fy + fh);
    const a1 = jitter([60, 90, 120], rng, 0.3);
    const a2 = jitter([200, 170, 110], rng, 0.3);
    paint(c, [fx + b, fy + b, fx + fw - b, fy + fh - b], rectCov(fx + b, fy + b, fx + fw - b, fy + fh - b), (_x, _y, i, out) => {
      mixTo(out, a1, a2, clamp01(0.5 + 1.6 * art[i]));
    });
  } else {
    const wx = rng.range(0.1, 0.6) * W;
    const ww = W * rng.range(0.15, 0.3);
    const skew = rng.range(-0.3, 0.3) * W;
    const pts: [number, number][] = [[wx, H * 0.05], [wx + ww, H * 0.05], [wx + ww + skew, tableY], [wx + skew, tableY]];
    paint(c, polygonBox(pts, 12), polygonCov(pts, rng.range(3, 10)), [255, 246, 225], rng.range(0.2, 0.35));
  }

  // Table: wood or cloth.
  const wood = rng.chance(0.6);
  const edge = new Float32Array(W).fill(tableY);
  if (wood) {
    const warp = fbm(W, H, rng, { cell: 160, aspect: 0.3, octaves: 4 }, tableY, H);
    const grain = fbm(W, H, rng, { cell: 240, aspect: 0.012, octaves: 5, gain: 0.7, minCell: 0.5 }, tableY, H);
    const dark: RGB = jitter([92, 56, 30], rng, 0.15);
    const lite: RGB = jitter([176, 124, 76], rng, 0.12);
    const freq = rng.range(0.15, 0.35);
    paintBelow(c, edge, (x, y, i, out) => {
      const ring = Math.sin((y - tableY) * freq + warp[i] * 14 + x * 0.002);
      const t = clamp01(0.5 + 0.22 * ring + 0.6 * grain[i]);
      const k = 1.05 - 0.35 * ((y - tableY) / (H - tableY));
      mixTo(out, dark, lite, t, k);
    });
  } else {
    const folds = fbm(W, H, rng, { cell: W * 0.25, aspect: 2.5, octaves: 4 }, tableY, H);
    const cloth: RGB = jitter(rng.pick<RGB>([[236, 234, 226], [200, 60, 50], [60, 80, 130], [220, 200, 150]]), rng, 0.05);
    paintBelow(c, edge, (_x, _y, i, out) => {
      const k = 0.88 + 0.5 * folds[i];
      out[0] = cloth[0] * k;
      out[1] = cloth[1] * k;
      out[2] = cloth[2] * k;
    });
  }
  // Bright lip along the table edge.
  paint(c, [0, tableY - 1, W, tableY + 4], rectCov(-1, tableY, W + 1, tableY + 2.5), [255, 240, 220], 0.25);

  // Objects, back to front.
  const n = rng.int(3, 7);
  const objs: { x: number; base: number; kind: number; size: number }[] = [];
  for (let k = 0; k < n; k++) {
    objs.push({
      x: rng.range(0.1, 0.9) * W,
      base: tableY + rng.range(0.05, 0.8) * (H - tableY),
      kind: rng.int(0, 3),
      size: Math.min(W, H) * rng.range(0.07, 0.16),
    });
  }
  objs.sort((a, b) => a.base - b.base);
  const sdx = lx < W / 2 ? 1 : -1;
  for (const o of objs) {
    const r = o.size * (o.kind === 0 ? 0.8 : 1);
    // Soft shadow on the table.
    paint(c, ellipseBox(o.x + sdx * r * 0.7, o.base, r * 1.3, r * 0.35, 14), ellipseCov(o.x + sdx * r * 0.7, o.base, r * 1.3, r * 0.35, 0, 14), [20, 14, 10], 0.5);
    if (o.kind === 0) {
      // Fruit.
      const col = jitter(rng.pick(FRUIT), rng, 0.1);
      const cy = o.base - r * 0.92;
      paint(c, ellipseBox(o.x, cy, r, r), ellipseCov(o.x, cy, r, r, 0, 1), sphereShader(o.x, cy, r, col, light, fine, 0.06, 0.35));
    } else if (o.kind === 1) {
      // Vase or jug: a lathe profile with cylindrical shading and glaze bands.
      const hgt = r * rng.range(1.8, 3);
      const top = o.base - hgt;
      const belly = rng.range(0.3, 0.7);
      const neck = rng.range(0.3, 0.6);
      const col = jitter(rng.pick(CERAMIC), rng, 0.08);
      const band = jitter(rng.pick(CERAMIC), rng, 0.08);
      const b0 = rng.range(0.2, 0.7);
      const b1 = b0 + rng.range(0.05, 0.15);
      // Profile radius at each pixel row's centre.
      const ry0 = Math.max(0, Math.floor(top));
      const radius = new Float64Array(Math.max(0, Math.ceil(o.base) + 1 - ry0));
      for (let k = 0; k < radius.length; k++) {
        const t = (ry0 + k + 0.5 - top) / hgt;
        const bump = Math.exp(-((t - belly) * (t - belly)) / 0.08);
        radius[k] = r * (neck + (1 - neck) * bump) * (1 - 0.12 * smoothstep(0.85, 1, t));
      }
      paint(c, [o.x - r - 2, ry0, o.x + r + 2, ry0 + radius.length], (y, x0, x1, out) => {
        const py = y + 0.5;
        const vy = clamp01(py - top + 0.5) * clamp01(o.base - py + 0.5);
        for (let x = x0; x < x1; x++) out[x - x0] = clamp01(radius[y - ry0] - Math.abs(x + 0.5 - o.x) + 0.5) * vy;
      }, (px, py, i, out) => {
        const t = (py + 0.5 - top) / hgt;
        const rr = radius[py - ry0];
        const u = Math.max(-1, Math.min(1, (px + 0.5 - o.x) / rr));
        const nz = Math.sqrt(1 - u * u);
        const lam = Math.max(0, u * light[0] + nz * light[2] * 0.8 + 0.2);
        const base = t > b0 && t < b1 ? band : col;
        let s = lam * lam;
        s *= s;
        s *= s;
        s *= s;
        const k = (0.25 + 0.85 * lam) * (1 + 0.03 * fine[i]);
        out[0] = base[0] * k + 180 * s;
        out[1] = base[1] * k + 180 * s;
        out[2] = base[2] * k + 180 * s;
      });
    } else {
      // Folded napkin or fabric with a woven stripe pattern.
      const w = r * rng.range(2, 3.5);
      const h = r * rng.range(0.6, 1.2);
      const skew = rng.range(-0.3, 0.3) * w;
      const pts: [number, number][] = [[o.x - w / 2, o.base - h], [o.x + w / 2, o.base - h], [o.x + w / 2 + skew, o.base], [o.x - w / 2 + skew, o.base]];
      const c1 = jitter(rng.pick(CERAMIC), rng, 0.1);
      const c2 = jitter([236, 230, 216], rng, 0.05);
      const period = rng.range(8, 22);
      const ang = rng.range(0, Math.PI);
      const ca = Math.cos(ang);
      const sa = Math.sin(ang);
      const plaid = rng.chance(0.5);
      paint(c, polygonBox(pts), polygonCov(pts, 1), (px, py, i, out) => {
        const s1 = (px * ca + py * sa) / period;
        const f1 = s1 - Math.floor(s1);
        let m = f1 < 0.5 ? 1 : 0;
        if (plaid) {
          const s2 = (py * ca - px * sa) / period;
          const f2 = s2 - Math.floor(s2);
          m = (m + (f2 < 0.5 ? 1 : 0)) / 2;
        }
        const k = (0.85 + 0.3 * soft[i] + 0.12 * (py - o.base + h) / h) * (1 + 0.1 * fine[i]);
        mixTo(out, c2, c1, m, k);
      });
    }
  }
}

function sceneSeascape(c: Canvas, rng: Rng): void {
  const W = c.width;
  const H = c.height;
  const horizon = Math.round(H * rng.range(0.35, 0.55));
  const sky = paintSky(c, rng, horizon, rng.range(0.1, 0.9));
  if (rng.chance(0.4)) paintSun(c, sky, Math.min(W, H) * rng.range(0.02, 0.035));
  if (rng.chance(0.5)) {
    // A distant headland.
    const land = fbm1(W, rng, W * 0.3, 8);
    const start = rng.range(-0.3, 0.6) * W;
    const len = rng.range(0.2, 0.6) * W;
    const top = new Float32Array(W);
    for (let x = 0; x < W; x++) {
      const inside = smoothstep(start, start + len * 0.2, x) * smoothstep(start + len, start + len * 0.8, x);
      top[x] = horizon + 1 - inside * H * (0.04 + 0.03 * land[x]);
    }
    const col = mix([70, 90, 80], sky.horizonColor, 0.55);
    paintBelow(c, top, (_x, _y, _i, out) => {
      out[0] = col[0];
      out[1] = col[1];
      out[2] = col[2];
    }, horizon + 1);
  }
  const deep: RGB = jitter([20, 60, 96], rng, 0.15);
  const far = mix(deep, sky.horizonColor, 0.45);
  const sandTop = new Float32Array(W);
  const shore = H * rng.range(0.75, 0.95);
  const sn = fbm1(W, rng, W * 0.4, 6);
  const slope = rng.range(-0.1, 0.1) * H;
  let sMin = H;
  let sMax = 0;
  for (let x = 0; x < W; x++) {
    sandTop[x] = shore + sn[x] * H * 0.05 + slope * (x / W - 0.5);
    sMin = Math.min(sMin, sandTop[x]);
    sMax = Math.max(sMax, sandTop[x]);
  }
  const seaEnd = Math.min(H, Math.ceil(sMax) + 1);
  const waves = fbm(W, H, rng, { cell: 90, aspect: 0.12, octaves: 7, gain: 0.62, minCell: 0.7 }, horizon, seaEnd);
  const d = c.data;
  for (let y = horizon; y < seaEnd; y++) {
    const depth = (y - horizon) / (H - horizon);
    const col = mix(far, deep, Math.sqrt(depth));
    const amp = 0.1 + 0.5 * depth;
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const v = waves[i];
      let k = 1 + amp * v;
      const glitter = Math.abs(x - sky.sunX) < W * 0.12 && v > 0.35 ? (v - 0.35) * 500 * (1 - Math.abs(x - sky.sunX) / (W * 0.12)) : 0;
      k = Math.max(0.2, k);
      const p = i * 3;
      d[p] = col[0] * k + glitter;
      d[p + 1] = col[1] * k + glitter;
      d[p + 2] = col[2] * k + glitter;
    }
  }
  // Boats.
  const boats = rng.int(0, 4);
  for (let b = 0; b < boats; b++) {
    const by = horizon + rng.range(0.05, 0.5) * (shore - horizon);
    const size = (by - horizon) * rng.range(0.25, 0.45) + 6;
    const bx = rng.range(0.1, 0.9) * W;
    const hull: [number, number][] = [[bx - size, by - size * 0.18], [bx + size, by - size * 0.18], [bx + size * 0.7, by], [bx - size * 0.75, by]];
    const hc: RGB = jitter(rng.pick<RGB>([[200, 40, 36], [240, 240, 236], [30, 50, 90], [60, 40, 30]]), rng, 0.08);
    paint(c, polygonBox(hull), polygonCov(hull, 1), hc);
    const mast = bx + rng.range(-0.2, 0.2) * size;
    const sailH = size * rng.range(1.2, 1.8);
    const sail: [number, number][] = [[mast, by - size * 0.2 - sailH], [mast + size * 0.8, by - size * 0.22], [mast, by - size * 0.22]];
    paint(c, polygonBox(sail), polygonCov(sail, 1), (_px, py, _i, out) => {
      const k = 0.85 + 0.15 * ((by - py) / sailH);
      out[0] = 238 * k;
      out[1] = 234 * k;
      out[2] = 224 * k;
    });
    paint(c, [mast - 2, by - size * 0.2 - sailH - 2, mast + 2, by - size * 0.2], rectCov(mast - 0.8, by - size * 0.2 - sailH, mast + 0.8, by - size * 0.2), [50, 44, 40]);
  }
  // Foam line and beach.
  const foam = fbm(W, H, rng, { cell: 30, aspect: 0.3, octaves: 5, gain: 0.6 }, sMin - 14, H);
  const grit = fbm(W, H, rng, { cell: 1.5, octaves: 1 }, sMin, H);
  const sand: RGB = jitter([214, 194, 156], rng, 0.08);
  paint(c, [0, sMin - 14, W, seaEnd + 1], (y, x0, x1, out) => {
    for (let x = x0; x < x1; x++) {
      const dd = y + 0.5 - sandTop[x] + 8;
      out[x - x0] = dd < 0 ? 0 : clamp01(smoothstep(0, 6, dd) * (0.6 + foam[y * W + x]));
    }
  }, [240, 244, 244], 0.85);
  const wetWidth = H * rng.range(0.01, 0.03);
  paintBelow(c, sandTop, (x, y, i, out) => {
    const wet = clamp01(1 - (y - sandTop[x]) / wetWidth);
    const k = (1 - 0.35 * wet) * (1 + 0.12 * grit[i] + 0.08 * foam[i]);
    out[0] = sand[0] * k;
    out[1] = sand[1] * k;
    out[2] = sand[2] * k;
  });
}

const PETALS: RGB[] = [[220, 40, 50], [250, 210, 50], [244, 240, 236], [200, 60, 150], [250, 140, 40], [130, 70, 180], [250, 170, 190]];

function sceneFlowers(c: Canvas, rng: Rng): void {
  const W = c.width;
  const H = c.height;
  const m = Math.min(W, H);
  const f1 = fbm(W, H, rng, { cell: W * 0.45, octaves: 4 });
  const f2 = fbm(W, H, rng, { cell: W * 0.3, octaves: 3 });
  const dark: RGB = jitter([24, 44, 24], rng, 0.2);
  const mid: RGB = jitter([86, 120, 60], rng, 0.15);
  const accent: RGB = jitter(rng.pick<RGB>([[150, 130, 70], [70, 90, 120], [120, 80, 60]]), rng, 0.15);
  const d = c.data;
  const col: RGB = [0, 0, 0];
  for (let i = 0; i < W * H; i++) {
    mixTo(col, dark, mid, clamp01(0.5 + 1.5 * f1[i]));
    mixTo(col, col, accent, smoothstep(0.05, 0.4, f2[i]) * 0.7);
    d[i * 3] = col[0];
    d[i * 3 + 1] = col[1];
    d[i * 3 + 2] = col[2];
  }
  // Out-of-focus highlights.
  const bokeh = rng.int(8, 35);
  for (let b = 0; b < bokeh; b++) {
    const r = m * rng.range(0.015, 0.08);
    const x = rng.range(0, W);
    const y = rng.range(0, H);
    const col = mix(mid, [240, 240, 210], rng.range(0.2, 0.8));
    paint(c, ellipseBox(x, y, r, r, 4), ellipseCov(x, y, r, r, 0, rng.range(1.5, 5)), col, rng.range(0.15, 0.5));
  }
  const fine = fbm(W, H, rng, { cell: 2.5, octaves: 2 });
  const veins = fbm(W, H, rng, { cell: 14, octaves: 4, gain: 0.6 });
  // Leaves.
  const leaves = rng.int(2, 6);
  const leafCol: RGB = jitter([60, 110, 40], rng, 0.15);
  for (let l = 0; l < leaves; l++) {
    const x = rng.range(0, W);
    const y = rng.range(0.3, 1) * H;
    const len = m * rng.range(0.15, 0.3);
    const wid = len * rng.range(0.25, 0.4);
    const ang = rng.range(0, Math.PI);
    const ca = Math.cos(ang);
    const sa = Math.sin(ang);
    paint(c, ellipseBox(x, y, len, wid), ellipseCov(x, y, len, wid, ang, 1), (px, py, i, out) => {
      const u = ((px - x) * ca + (py - y) * sa) / len;
      const v = ((py - y) * ca - (px - x) * sa) / wid;
      const rib = Math.abs(v) < 0.06 ? 1.25 : 1;
      const k = (0.7 + 0.35 * v + 0.1 * u) * rib * (1 + 0.12 * veins[i]);
      out[0] = leafCol[0] * k;
      out[1] = leafCol[1] * k;
      out[2] = leafCol[2] * k;
    });
  }
  // Flowers.
  const flowers = rng.int(1, 4);
  for (let f = 0; f < flowers; f++) {
    const R = m * rng.range(0.12, 0.3) * (f === 0 ? 1.2 : 0.8);
    const cx = rng.range(0.2, 0.8) * W;
    const cy = rng.range(0.2, 0.8) * H;
    const col = jitter(rng.pick(PETALS), rng, 0.08);
    const count = rng.int(5, 14);
    const phase = rng.range(0, Math.PI);
    for (let ring = 0; ring < 2; ring++) {
      const rr = R * (ring === 0 ? 1 : 0.75);
      const pc = scale(col, ring === 0 ? 0.85 : 1);
      for (let p = 0; p < count; p++) {
        const a = phase + ((p + ring * 0.5) / count) * 2 * Math.PI + rng.range(-0.08, 0.08);
        const px0 = cx + Math.cos(a) * rr * 0.5;
        const py0 = cy + Math.sin(a) * rr * 0.5;
        const rx = rr * 0.5;
        const ry = rr * rng.range(0.16, 0.3);
        paint(c, ellipseBox(px0, py0, rx, ry), ellipseCov(px0, py0, rx, ry, a, 1), (px, py, i, out) => {
          const t = clamp01(dist(px - cx, py - cy) / rr);
          const k = (0.55 + 0.55 * t) * (1 + 0.08 * veins[i] + 0.03 * fine[i]);
          out[0] = pc[0] * k;
          out[1] = pc[1] * k;
          out[2] = pc[2] * k;
        });
      }
    }
    const cr = R * rng.range(0.18, 0.28);
    const centre: RGB = jitter(rng.pick<RGB>([[110, 70, 20], [220, 180, 40], [60, 40, 20]]), rng, 0.1);
    paint(c, ellipseBox(cx, cy, cr, cr), ellipseCov(cx, cy, cr, cr, 0, 1), (px, py, i, out) => {
      const t = dist(px - cx, py - cy) / cr;
      const k = (1.05 - 0.35 * t) * (1 + 0.45 * fine[i]);
      out[0] = centre[0] * k;
      out[1] = centre[1] * k;
      out[2] = centre[2] * k;
    });
  }
}

const SCENES = [sceneLandscape, sceneTown, sceneStillLife, sceneSeascape, sceneFlowers];

// ---------------------------------------------------------------------------
// Rendering

/**
 * Renders image `index` of the set as 8-bit RGB pixels (width·height·3 bytes,
 * row-major, no padding). Pure and deterministic for (spec size, index, seed): the
 * scene kind rotates with the index (offset by the seed) and everything else —
 * composition, colours, textures, grain — comes from a PRNG seeded by (index, seed).
 * @param spec size of the image (usually an entry of {@link synthDatasetSpec})
 * @param index position of the image in the set (0-based)
 * @param seed seed of the set (an integer)
 */
export function renderSynthImage(spec: SynthImageSpec, index: number, seed: number): Uint8Array {
  return render(spec, index, seed, undefined);
}

/** {@link renderSynthImage}, reusing scratch memory from `pool` when given. */
function render(spec: SynthImageSpec, index: number, seed: number, pool: Pool | undefined): Uint8Array {
  const { width: W, height: H } = spec;
  if (!Number.isInteger(W) || !Number.isInteger(H) || W < 1 || H < 1) {
    throw new RangeError(`invalid image size ${W}x${H}`);
  }
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`index must be a non-negative integer, got ${index}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const s = seed >>> 0;
  const rng = new Rng(s, index);
  const outer = currentPool;
  currentPool = pool ?? new Pool();
  try {
    const c = new Canvas(W, H);
    const scene = SCENES[(index + (hash32(s) % SCENES.length)) % SCENES.length];
    scene(c, rng);
    return finish(c, hash32(s ^ hash32(index + 0x5bd1e995)), rng);
  } finally {
    currentPool.recycle();
    currentPool = outer;
  }
}

/** Vignette, exposure and film/sensor grain, then quantisation to 8 bits. */
function finish(c: Canvas, grainSeed: number, rng: Rng): Uint8Array {
  const W = c.width;
  const H = c.height;
  const d = c.data;
  const out = new Uint8ClampedArray(W * H * 3);
  const vignette = rng.range(0.05, 0.3);
  const sigma = rng.range(0.5, 1.4);
  const chroma = sigma * 0.35;
  const exposure = rng.range(0.94, 1.06);
  const cx = W / 2;
  const cy = H / 2;
  const inv = 1 / (cx * cx + cy * cy);
  // Triangular noise from two 16-bit (or 8-bit) halves of a hash: std = half-width/√6.
  const lumaK = (sigma * 2.449) / 65535;
  const chromaK = (chroma * 2.449) / 255;
  const salt = grainSeed | 0;
  for (let y = 0; y < H; y++) {
    const dy = y + 0.5 - cy;
    for (let x = 0; x < W; x++) {
      const dx = x + 0.5 - cx;
      const r2 = (dx * dx + dy * dy) * inv;
      const v = exposure * (1 - vignette * r2 * r2);
      const i = y * W + x;
      // Two rounds of a 32-bit integer hash (lowbias32) of the pixel index.
      let a = (Math.imul(i, 0x9e3779b1) + salt) | 0;
      a ^= a >>> 16;
      a = Math.imul(a, 0x7feb352d);
      a ^= a >>> 15;
      a = Math.imul(a, 0x846ca68b);
      a ^= a >>> 16;
      let b = Math.imul(a, 0x85ebca6b) ^ 0x68e31da4;
      b ^= b >>> 16;
      b = Math.imul(b, 0x7feb352d);
      b ^= b >>> 15;
      b = Math.imul(b, 0x846ca68b);
      b ^= b >>> 16;
      const g = ((a & 0xffff) + (a >>> 16 & 0xffff) - 65535) * lumaK;
      const cr = ((b & 0xff) + ((b >>> 8) & 0xff) - 255) * chromaK;
      const cb = (((b >>> 16) & 0xff) + ((b >>> 24) & 0xff) - 255) * chromaK;
      const p = i * 3;
      out[p] = d[p] * v + g + cr;
      out[p + 1] = d[p + 1] * v + g;
      out[p + 2] = d[p + 2] * v + g + cb;
    }
  }
  return new Uint8Array(out.buffer);
}

// ---------------------------------------------------------------------------
// Writing files

/** Distinguishes temporary files of concurrent writes from one process. */
let tmpCounter = 0;

/** Encodes and writes one PNG atomically (temporary name, then rename). */
async function writePng(file: string, pixels: Uint8Array, width: number, height: number): Promise<void> {
  const tmp = `${file}.${process.pid}-${++tmpCounter}.tmp`;
  try {
    await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toFile(tmp);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * Writes the set as 8-bit RGB PNG files (sharp, default PNG settings) into
 * `outDir`, which is created if missing, and returns the file paths in index
 * order. Deterministic: the same count and seed give byte-identical files. Each
 * file is written under a temporary name and renamed into place, so an
 * interrupted run never leaves a partial PNG. Rendering of the next image
 * overlaps with encoding of the previous ones.
 * @param options output directory, count (default 24), seed (default 1), progress callback
 */
export async function generateSynthDataset(options: SynthOptions): Promise<string[]> {
  const count = options.count ?? KODAK_COUNT;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const specs = synthDatasetSpec(count);
  await mkdir(options.outDir, { recursive: true });
  const files = specs.map((s) => path.join(options.outDir, s.name));
  const maxInFlight = 3;
  const pending: Promise<void>[] = [];
  const pool = new Pool();
  let done = 0;
  const settleOldest = async (): Promise<void> => {
    await pending.shift();
    options.onImage?.(files[done], done, count);
    done++;
  };
  try {
    for (let i = 0; i < count; i++) {
      const spec = specs[i];
      const pixels = render(spec, i, seed, pool);
      const job = writePng(files[i], pixels, spec.width, spec.height);
      job.catch(() => undefined); // observed below; avoid unhandled-rejection noise meanwhile
      pending.push(job);
      if (pending.length >= maxInFlight) await settleOldest();
    }
    while (pending.length > 0) await settleOldest();
  } catch (err) {
    await Promise.allSettled(pending);
    throw err;
  }
  return files;
}
