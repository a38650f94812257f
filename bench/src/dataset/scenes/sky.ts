/** The sky every outdoor scene starts from: gradient, clouds, and the sun. */

import { blend, paint, type Canvas } from '../canvas.js';
import { clamp01, dist, jitter, mix, mixTo, scale, smoothstep, type RGB } from '../colour.js';
import { fbm } from '../noise.js';
import type { Rng } from '../random.js';
import { ellipseBox, ellipseCov } from '../shapes.js';

/** What later layers need from the sky: its colours for haze and reflections, the sun for lighting. */
export interface Sky {
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
export function paintSky(c: Canvas, rng: Rng, horizon: number, cloudiness: number): Sky {
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
        blend(d, i * 3, col, a);
      }
    }
  }
  return { horizonColor, zenith, sunX, sunY };
}

/** A sun disc of radius `r` at the sky's sun position, in a warm glow. */
export function paintSun(c: Canvas, sky: Sky, r: number): void {
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
