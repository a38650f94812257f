/** Seascape scenes: sky, an optional headland, waves with sun glitter, boats, foam and a beach. */

import { paint, paintBelow, type Canvas } from '../canvas.js';
import { clamp01, jitter, mix, scaleTo, smoothstep, type RGB } from '../colour.js';
import { fbm, fbm1 } from '../noise.js';
import type { Rng } from '../random.js';
import { paintPolygon, rectCov } from '../shapes.js';
import { paintSky, paintSun } from './sky.js';
import { wavyEdge } from './terrain.js';

const SAILCLOTH: RGB = [238, 234, 224];

export function sceneSeascape(c: Canvas, rng: Rng): void {
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
  const shore = H * rng.range(0.75, 0.95);
  const sn = fbm1(W, rng, W * 0.4, 6);
  const { top: sandTop, min: sMin, end: seaEnd } = wavyEdge(W, H, shore, sn, 0.05, rng.range(-0.1, 0.1) * H);
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
    paintPolygon(c, hull, hc);
    const mast = bx + rng.range(-0.2, 0.2) * size;
    const sailH = size * rng.range(1.2, 1.8);
    const sail: [number, number][] = [[mast, by - size * 0.2 - sailH], [mast + size * 0.8, by - size * 0.22], [mast, by - size * 0.22]];
    paintPolygon(c, sail, (_px, py, _i, out) => {
      scaleTo(out, SAILCLOTH, 0.85 + 0.15 * ((by - py) / sailH));
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
    scaleTo(out, sand, (1 - 0.35 * wet) * (1 + 0.12 * grit[i] + 0.08 * foam[i]));
  });
}
