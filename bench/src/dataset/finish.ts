/** The camera's last step on a painted canvas: from float scene light to 8-bit pixels. */

import type { Canvas } from './canvas.js';
import { hash32, type Rng } from './random.js';

/** Vignette, exposure and film/sensor grain, then quantisation to 8 bits. */
export function finish(c: Canvas, grainSeed: number, rng: Rng): Uint8Array {
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
      // Grain is a hash of the pixel index, not a PRNG stream, so it needs no state
      // per pixel; a second round gives the chroma bits.
      const a = hash32((Math.imul(i, 0x9e3779b1) + salt) | 0);
      const b = hash32(Math.imul(a, 0x85ebca6b) ^ 0x68e31da4);
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
