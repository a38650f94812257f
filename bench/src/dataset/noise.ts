/** Smooth value noise and its fractal sums (fbm): the texture behind every surface. */

import { hash32, type Rng } from './random.js';
import { scratch } from './scratch.js';

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
  // A hash of the lattice index: much cheaper than a PRNG call per value.
  for (let i = 0; i < lat.length; i++) lat[i] = hash32((i + salt) | 0) * k - amp;
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

export interface FbmOptions {
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
export function fbm(w: number, h: number, rng: Rng, o: FbmOptions, y0 = 0, y1 = h): Float32Array {
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
export function fbm1(n: number, rng: Rng, cell: number, octaves: number, gain = 0.5): Float32Array {
  return fbm(n, 1, rng, { cell, aspect: 1e6, octaves, gain, minCell: 0.5 });
}
