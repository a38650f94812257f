/** Town scenes: a street of façades with windows, doors, roofs, poles and a tree. */

import { paint, type Canvas } from '../canvas.js';
import { jitter, mixTo, scale, scaleTo, type RGB } from '../colour.js';
import { fbm } from '../noise.js';
import type { Rng } from '../random.js';
import { paintEllipse, paintPolygon, paintRect, rectCov } from '../shapes.js';
import { paintSky } from './sky.js';
import { paintTree } from './terrain.js';

const WALLS: RGB[] = [
  [214, 196, 160], [196, 120, 84], [228, 224, 212], [170, 170, 166], [210, 178, 120],
  [156, 92, 70], [198, 206, 196], [232, 208, 170], [120, 128, 140],
];

export function sceneTown(c: Canvas, rng: Rng): void {
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
    scaleTo(out, base, k);
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
      scaleTo(out, wall, k);
    });
    // Side wall in shadow gives a second tone and a hard vertical edge.
    const side = Math.round(bw * rng.range(0.05, 0.15));
    const sx0 = lightFromLeft ? x1 - side : x0;
    paint(c, [sx0, top, sx0 + side, street], rectCov(sx0, top, sx0 + side, street + 0.5), (_px, _py, i, out) => {
      scaleTo(out, wall, 0.62 * (1 + tex * plaster[i]));
    });
    // Roof.
    const roof: RGB = jitter(rng.pick<RGB>([[120, 60, 46], [70, 70, 78], [140, 84, 60], [96, 60, 50]]), rng, 0.1);
    if (rng.chance(0.55)) {
      const rh = bh * rng.range(0.12, 0.3);
      const over = bw * 0.04;
      const pts: [number, number][] = [[x0 - over, top + 1], [x1 + over, top + 1], [(x0 + x1) / 2, top - rh]];
      paintPolygon(c, pts, (_px, py, i, out) => {
        scaleTo(out, roof, (0.75 + 0.3 * ((py - top + rh) / rh)) * (1 + 0.15 * plaster[i] + 0.1 * fine[i]));
      });
    } else {
      const ch = Math.max(4, Math.round(bh * 0.04));
      paintRect(c, x0 - 3, top - ch, x1 + 3, top + 1, scale(wall, 0.7));
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
        paintRect(c, ax - 3, ay - 3, ax + ww + 3, ay + wh + 3, frame);
        const lit = rng.chance(0.15);
        paintRect(c, ax, ay, ax + ww, ay + wh, (_px, py, i, out) => {
          // Glass reflects a darkened sky, brighter at the top.
          const t = (py - ay) / wh;
          const n = 1 + 0.05 * fine[i];
          if (lit) mixTo(out, litHi, litLo, t, n);
          else mixTo(out, sky.horizonColor, sky.zenith, t, 0.45 * n);
        });
        // Mullion.
        const mx = ax + Math.round(ww / 2) - 1;
        paintRect(c, mx, ay, mx + 2, ay + wh, frame);
        if (shutters) {
          const sw = Math.round(ww * 0.45);
          paintRect(c, ax - sw - 3, ay - 3, ax - 3, ay + wh + 3, shutterColor);
          paintRect(c, ax + ww + 3, ay - 3, ax + ww + sw + 3, ay + wh + 3, shutterColor);
        }
      }
    }
    if (hasDoor) {
      paintRect(c, dx, street - dh, dx + dw, street, (_px, _py, i, out) => {
        scaleTo(out, door, 1 + 0.1 * plaster[i]);
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
    paintEllipse(c, px, curb - ph, 9, 6, 0, [50, 50, 52]);
  }
  if (rng.chance(0.6)) {
    const foliage = fbm(W, H, rng, { cell: 20, octaves: 5, gain: 0.75 });
    const tx = rng.range(0.1, 0.9) * W;
    paintTree(c, rng, tx, curb - 2, H * rng.range(0.25, 0.4), foliage, [56, 86, 42]);
  }
}
