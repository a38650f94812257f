/** Still-life scenes: a lit wall, a wooden or clothed table, fruit, vases and folded fabric. */

import { paint, paintBelow, type Canvas, type Shader } from '../canvas.js';
import { clamp01, dist, jitter, mixTo, normalize, scaleTo, smoothstep, type RGB } from '../colour.js';
import { fbm } from '../noise.js';
import type { Rng } from '../random.js';
import { paintEllipse, paintPolygon, paintRect, polygonBox, polygonCov, rectCov } from '../shapes.js';

/** Blinn-ish sphere shading: base colour lit from unit direction `light`, with a highlight. */
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

const FRUIT: RGB[] = [[226, 120, 30], [190, 30, 32], [150, 176, 50], [232, 196, 60], [110, 40, 80], [200, 70, 40]];
const CERAMIC: RGB[] = [[40, 70, 140], [230, 226, 214], [170, 80, 50], [60, 110, 90], [200, 170, 110], [30, 30, 34]];

export function sceneStillLife(c: Canvas, rng: Rng): void {
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
    paintRect(c, fx, fy, fx + fw, fy + fh, frameColor);
    const b = Math.max(6, fw * 0.07);
    const art = fbm(W, H, rng, { cell: fw * 0.4, octaves: 6, gain: 0.6 }, fy, fy + fh);
    const a1 = jitter([60, 90, 120], rng, 0.3);
    const a2 = jitter([200, 170, 110], rng, 0.3);
    paintRect(c, fx + b, fy + b, fx + fw - b, fy + fh - b, (_x, _y, i, out) => {
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
      scaleTo(out, cloth, 0.88 + 0.5 * folds[i]);
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
    paintEllipse(c, o.x + sdx * r * 0.7, o.base, r * 1.3, r * 0.35, 0, [20, 14, 10], 14, 0.5);
    if (o.kind === 0) {
      // Fruit.
      const col = jitter(rng.pick(FRUIT), rng, 0.1);
      const cy = o.base - r * 0.92;
      paintEllipse(c, o.x, cy, r, r, 0, sphereShader(o.x, cy, r, col, light, fine, 0.06, 0.35));
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
      paintPolygon(c, pts, (px, py, i, out) => {
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
