/** Land shared by the outdoor scenes: mountain ridges, trees, and wavy ground lines. */

import { paint, paintBelow, type Box, type Canvas } from '../canvas.js';
import { clamp01, jitter, mix, scale, scaleTo, type RGB } from '../colour.js';
import { fbm, fbm1 } from '../noise.js';
import type { Rng } from '../random.js';
import { ellipseCov, polygonCov, rectCov, type Ragged } from '../shapes.js';
import type { Sky } from './sky.js';

/** Mountain ridges between the sky and `baseline`, far layers hazier, painted down to row `bottom`. */
export function paintMountains(c: Canvas, rng: Rng, sky: Sky, baseline: number, layers: number, bottom: number): void {
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
      scaleTo(out, y < snow + tex[i] * amp * 0.6 ? snowCol : col, k2);
    }, Math.min(H, Math.ceil(bottom)));
  }
}

/** A tree: textured canopy (union of blobs) on a trunk. */
export function paintTree(c: Canvas, rng: Rng, x: number, ground: number, size: number, foliage: Float32Array, green: RGB): void {
  const trunkW = size * rng.range(0.06, 0.1);
  const trunkH = size * rng.range(0.35, 0.6);
  const bark: RGB = jitter([70, 52, 38], rng, 0.15);
  paint(c, [x - trunkW, ground - trunkH - 2, x + trunkW, ground + 1], rectCov(x - trunkW / 2, ground - trunkH, x + trunkW / 2, ground + 1), (_x, _y, i, out) => {
    scaleTo(out, bark, 0.8 + 0.35 * foliage[i]);
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
    const box: Box = [ccx - rx - pad, ccy - ry - pad, ccx + rx + pad, ccy + ry + pad];
    paint(c, box, cov, (_x, py, i, out) => {
      const up = clamp01((ccy + ry - py) / (2 * ry));
      scaleTo(out, leaf, (0.45 + 0.35 * up) * (1 + 0.75 * foliage[i]));
    });
  }
}

/** A ground line across the canvas and its extent, from which the ground is painted down. */
export interface Edge {
  /** Row of the edge in each column. */
  top: Float32Array;
  min: number;
  max: number;
  /** Rows from here down lie wholly below the edge (at most h). */
  end: number;
}

/** An undulating, tilted edge: base + wave[x]·h·amp, plus `tilt` from left to right. */
export function wavyEdge(w: number, h: number, base: number, wave: Float32Array, amp: number, tilt: number): Edge {
  const top = new Float32Array(w);
  let min = h;
  let max = 0;
  for (let x = 0; x < w; x++) {
    top[x] = base + wave[x] * h * amp + tilt * (x / w - 0.5);
    min = Math.min(min, top[x]);
    max = Math.max(max, top[x]);
  }
  return { top, min, max, end: Math.min(h, Math.ceil(max) + 1) };
}
