/** Landscape scenes: sky over mountains, an optional mirror lake, a meadow and trees. */

import { paintBelow, type Canvas } from '../canvas.js';
import { clamp01, jitter, mixTo, smoothstep, type RGB } from '../colour.js';
import { fbm, fbm1 } from '../noise.js';
import type { Rng } from '../random.js';
import { paintSky, paintSun } from './sky.js';
import { paintMountains, paintTree, wavyEdge } from './terrain.js';

export function sceneLandscape(c: Canvas, rng: Rng): void {
  const W = c.width;
  const H = c.height;
  const horizon = H * rng.range(0.38, 0.58);
  const sky = paintSky(c, rng, horizon, rng.range(0, 0.8));
  if (rng.chance(0.3)) paintSun(c, sky, Math.min(W, H) * rng.range(0.02, 0.04));
  const layers = rng.int(1, 4);
  const lake = rng.chance(0.45);
  const g0 = horizon + H * rng.range(lake ? 0.08 : 0.02, lake ? 0.2 : 0.1);
  const gn = fbm1(W, rng, W * 0.5, 7);
  const { top: groundTop, min: gMin, end: gEnd } = wavyEdge(W, H, g0, gn, 0.06, rng.range(-0.08, 0.08) * H);
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
