/** The float RGB working canvas and the two ways of laying paint on it. */

import { clamp01, type RGB } from './colour.js';
import { scratch } from './scratch.js';

/** Linear RGB working canvas, 0–255 floats, interleaved. */
export class Canvas {
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
export type Coverage = (y: number, x0: number, x1: number, out: Float32Array) => void;
/** Colour of pixel (x, y) — `i` is y·width + x — written into `out`. */
export type Shader = (x: number, y: number, i: number, out: RGB) => void;

/** Blends `col` with weight `a` over the pixel whose red sample is d[p]. */
export function blend(d: Float32Array, p: number, col: RGB, a: number): void {
  d[p] += (col[0] - d[p]) * a;
  d[p + 1] += (col[1] - d[p + 1]) * a;
  d[p + 2] += (col[2] - d[p + 2]) * a;
}

/** Bounding box x0, y0, x1, y1 in pixel coordinates; painting touches only the pixels it overlaps. */
export type Box = [number, number, number, number];

/** Blends a shape over the pixels of a bounding box. */
export function paint(
  c: Canvas,
  box: Box,
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
      blend(d, i * 3, col, a);
    }
  }
}

/** Fills everything below a per-column edge `top[x]` (anti-aliased) from row `top` to `bottom`. */
export function paintBelow(c: Canvas, top: Float32Array, shader: Shader, bottom = c.height): void {
  const d = c.data;
  const col: RGB = [0, 0, 0];
  for (let x = 0; x < c.width; x++) {
    const t = top[x];
    for (let y = Math.max(0, Math.floor(t)); y < bottom; y++) {
      const a = clamp01(y + 1 - t);
      const i = y * c.width + x;
      shader(x, y, i, col);
      blend(d, i * 3, col, a);
    }
  }
}
