/** Flower close-ups: a blurred green background with bokeh, leaves, and petalled blooms. */

import { paint, type Canvas } from '../canvas.js';
import { clamp01, dist, jitter, mix, mixTo, scale, scaleTo, smoothstep, type RGB } from '../colour.js';
import { fbm } from '../noise.js';
import type { Rng } from '../random.js';
import { ellipseBox, ellipseCov, paintEllipse } from '../shapes.js';

const PETALS: RGB[] = [[220, 40, 50], [250, 210, 50], [244, 240, 236], [200, 60, 150], [250, 140, 40], [130, 70, 180], [250, 170, 190]];

export function sceneFlowers(c: Canvas, rng: Rng): void {
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
    paintEllipse(c, x, y, len, wid, ang, (px, py, i, out) => {
      const u = ((px - x) * ca + (py - y) * sa) / len;
      const v = ((py - y) * ca - (px - x) * sa) / wid;
      const rib = Math.abs(v) < 0.06 ? 1.25 : 1;
      scaleTo(out, leafCol, (0.7 + 0.35 * v + 0.1 * u) * rib * (1 + 0.12 * veins[i]));
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
        paintEllipse(c, px0, py0, rx, ry, a, (px, py, i, out) => {
          const t = clamp01(dist(px - cx, py - cy) / rr);
          scaleTo(out, pc, (0.55 + 0.55 * t) * (1 + 0.08 * veins[i] + 0.03 * fine[i]));
        });
      }
    }
    const cr = R * rng.range(0.18, 0.28);
    const centre: RGB = jitter(rng.pick<RGB>([[110, 70, 20], [220, 180, 40], [60, 40, 20]]), rng, 0.1);
    paintEllipse(c, cx, cy, cr, cr, 0, (px, py, i, out) => {
      const t = dist(px - cx, py - cy) / cr;
      scaleTo(out, centre, (1.05 - 0.35 * t) * (1 + 0.45 * fine[i]));
    });
  }
}
