/** Anti-aliased coverage of rectangles, ellipses and convex polygons, and painting them. */

import { paint, type Box, type Canvas, type Coverage, type Shader } from './canvas.js';
import { clamp01, type RGB } from './colour.js';

/** Axis-aligned rectangle, exact area coverage. */
export function rectCov(rx0: number, ry0: number, rx1: number, ry1: number): Coverage {
  return (y, x0, x1, out) => {
    const oy = Math.min(y + 1, ry1) - Math.max(y, ry0);
    for (let x = x0; x < x1; x++) {
      const ox = Math.min(x + 1, rx1) - Math.max(x, rx0);
      out[x - x0] = ox <= 0 || oy <= 0 ? 0 : Math.min(ox, 1) * Math.min(oy, 1);
    }
  };
}

/**
 * Optional raggedness of a shape's outline: the edge moves by `amount × field[i]`
 * pixels (field values roughly in [-1, 1], indexed y·width + x).
 */
export interface Ragged {
  field: Float32Array;
  width: number;
  amount: number;
}

/**
 * Rotated ellipse; `soft` is the edge width in pixels (1 ≈ anti-aliased, larger is
 * blurred). The signed distance is the first-order estimate (1 − q) / |∇q|.
 */
export function ellipseCov(cx: number, cy: number, rx: number, ry: number, angle: number, soft = 1, ragged?: Ragged): Coverage {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const field = ragged?.field;
  const fw = ragged?.width ?? 0;
  const amount = ragged?.amount ?? 0;
  // Beyond the ellipse grown by this many pixels the coverage is 0.
  const margin = soft + 1 + 2 * amount;
  const ox = rx / (rx + margin);
  const oy = ry / (ry + margin);
  return (y, x0, x1, out) => {
    const dy = y + 0.5 - cy;
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - cx;
      const u = (dx * cos + dy * sin) / rx;
      const v = (dy * cos - dx * sin) / ry;
      if (u * ox * (u * ox) + v * oy * (v * oy) > 1) {
        out[x - x0] = 0;
        continue;
      }
      const q = u * u + v * v;
      const gx = u / rx;
      const gy = v / ry;
      let sd = (1 - q) / (2 * Math.sqrt(gx * gx + gy * gy) + 1e-9);
      if (field) sd += field[y * fw + x] * amount;
      out[x - x0] = clamp01(0.5 + sd / soft);
    }
  };
}

export function ellipseBox(cx: number, cy: number, rx: number, ry: number, soft = 1): Box {
  const r = Math.max(rx, ry) + soft + 1;
  return [cx - r, cy - r, cx + r, cy + r];
}

/** Convex polygon (either winding); `soft` and `ragged` as for {@link ellipseCov}. */
export function polygonCov(pts: readonly [number, number][], soft = 1, ragged?: Ragged): Coverage {
  const n = pts.length;
  let area = 0;
  for (let k = 0; k < n; k++) {
    const [ax, ay] = pts[k];
    const [bx, by] = pts[(k + 1) % n];
    area += ax * by - bx * ay;
  }
  const sign = area >= 0 ? 1 : -1;
  // Inward unit normal and offset of each edge (for positive area, inside is to the left).
  const edges = new Float64Array(3 * n);
  for (let k = 0; k < n; k++) {
    const [ax, ay] = pts[k];
    const [bx, by] = pts[(k + 1) % n];
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const nx = (-(by - ay) / len) * sign;
    const ny = ((bx - ax) / len) * sign;
    edges[3 * k] = nx;
    edges[3 * k + 1] = ny;
    edges[3 * k + 2] = -(nx * ax + ny * ay);
  }
  const field = ragged?.field;
  const fw = ragged?.width ?? 0;
  const amount = ragged?.amount ?? 0;
  return (y, x0, x1, out) => {
    const py = y + 0.5;
    for (let x = x0; x < x1; x++) {
      const px = x + 0.5;
      let sd = Infinity;
      for (let k = 0; k < 3 * n; k += 3) {
        const dd = edges[k] * px + edges[k + 1] * py + edges[k + 2];
        if (dd < sd) sd = dd;
      }
      if (field) sd += field[y * fw + x] * amount;
      out[x - x0] = clamp01(0.5 + sd / soft);
    }
  };
}

export function polygonBox(pts: readonly [number, number][], pad = 2): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return [x0 - pad, y0 - pad, x1 + pad, y1 + pad];
}

/** A rectangle; its coverage is exact, so its own corners bound it. */
export function paintRect(c: Canvas, x0: number, y0: number, x1: number, y1: number, shader: Shader | RGB): void {
  paint(c, [x0, y0, x1, y1], rectCov(x0, y0, x1, y1), shader);
}

/** An ellipse, boxed with the same edge softness it is drawn with. */
export function paintEllipse(
  c: Canvas,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  angle: number,
  shader: Shader | RGB,
  soft = 1,
  opacity = 1,
): void {
  paint(c, ellipseBox(cx, cy, rx, ry, soft), ellipseCov(cx, cy, rx, ry, angle, soft), shader, opacity);
}

/** A convex polygon with an anti-aliased (1 px) edge. */
export function paintPolygon(c: Canvas, pts: readonly [number, number][], shader: Shader | RGB): void {
  paint(c, polygonBox(pts), polygonCov(pts, 1), shader);
}
