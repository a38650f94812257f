import { clamp, param, type ReferenceFilter } from './common.js';

/** sigma·100 as the filter uses it: clamped to the manifest range 0.1..20. */
const sigma100 = (params: readonly number[]): number => clamp(param(params, 0), 10, 2000);

/** The halo: ceil(3σ) from the i32 param, at least 1. */
export function gaussianRadius(s100: number): number {
  return Math.max(1, Math.floor((3 * s100 + 99) / 100));
}

/**
 * e^x for x ≤ 0 from + - * / only — the same operations, in the same order, as expNeg in
 * filters/gaussian-blur.ts, because Math.exp may differ from the WASM side by an ulp:
 * halve x until |x| ≤ 1/4, sum the Taylor series to x^12/12!, square back.
 */
export function expNeg(x: number): number {
  let n = 0;
  while (x < -0.25) {
    x = x * 0.5;
    n++;
  }
  let term = 1;
  let sum = 1;
  for (let i = 1; i <= 12; i++) {
    term = (term * x) / i;
    sum = sum + term;
  }
  for (let i = 0; i < n; i++) sum = sum * sum;
  return sum;
}

/** A quantized Gaussian kernel. */
export interface GaussianKernel {
  /** The halo the filter declares, ceil(3σ). */
  radius: number;
  /** q_0..q_radius: integer weights, q_0 + 2·Σ q_k = 256. */
  weights: number[];
  /** Largest k with q_k > 0 (0: the kernel is the identity); taps past it are skipped. */
  effective: number;
}

/**
 * The integer kernel for sigma·100 = `s100` (clamped to 10..2000), as the filter computes it:
 * w_k = expNeg(-k²/(2σ²)), v_k = w_k·256/W with W = 1 + 2Σw_k, q_k = round(T_k) - round(T_{k+1})
 * over tail sums T_k = Σ_{j≥k} v_j, and the centre takes the remainder 256 - 2·round(T_1).
 * Rounding tail sums rather than single weights keeps the total at 256 with every weight
 * within 1 of its real value.
 */
export function gaussianKernel(s100: number): GaussianKernel {
  const s = clamp(s100 | 0, 10, 2000);
  const radius = gaussianRadius(s);
  const sigma = s / 100;
  const den = 2 * sigma * sigma;
  const raw = [1];
  let sum = 0;
  for (let k = 1; k <= radius; k++) {
    raw[k] = expNeg(-(k * k) / den);
    sum = sum + raw[k];
  }
  const scale = 256 / (1 + 2 * sum);
  const weights = new Array<number>(radius + 1).fill(0);
  let t = 0;
  let prev = 0;
  let effective = 0;
  for (let k = radius; k >= 1; k--) {
    t = t + raw[k] * scale;
    const rounded = Math.floor(t + 0.5);
    weights[k] = rounded - prev;
    prev = rounded;
    if (weights[k] > 0 && effective === 0) effective = k;
  }
  weights[0] = 256 - 2 * prev;
  return { radius, weights, effective };
}

/**
 * gaussian-blur: a vertical pass then a horizontal pass with the kernel above, each
 * (q_0·p_0 + Σ q_k·(p_-k + p_k) + 128) >> 8, on all four channels.
 */
export const gaussianBlur: ReferenceFilter = {
  alpha: 'premultiplied',
  halo: (params) => gaussianRadius(sigma100(params)),
  filter(mem, src, srcStride, dst, dstStride, width, height, params) {
    const { weights: q, effective: e } = gaussianKernel(sigma100(params));
    const n = (width + 2 * e) * 4;
    const line = width * 4;
    // Sums are exact integers, so accumulating tap by tap over whole rows (cache-friendly)
    // gives the same values as the WASM's per-vector order.
    const acc = new Int32Array(n);
    // One row of the vertical pass, columns -e..width+e-1.
    const row = new Uint8Array(n);
    for (let y = 0; y < height; y++) {
      const base = src + y * srcStride - e * 4;
      for (let i = 0; i < n; i++) acc[i] = q[0] * mem[base + i];
      for (let k = 1; k <= e; k++) {
        const qk = q[k];
        const up = base - k * srcStride;
        const down = base + k * srcStride;
        for (let i = 0; i < n; i++) acc[i] += qk * (mem[up + i] + mem[down + i]);
      }
      for (let i = 0; i < n; i++) row[i] = (acc[i] + 128) >> 8;
      const c = e * 4;
      for (let i = 0; i < line; i++) acc[i] = q[0] * row[c + i];
      for (let k = 1; k <= e; k++) {
        const qk = q[k];
        const left = c - 4 * k;
        const right = c + 4 * k;
        for (let i = 0; i < line; i++) acc[i] += qk * (row[left + i] + row[right + i]);
      }
      const d = dst + y * dstStride;
      for (let i = 0; i < line; i++) mem[d + i] = (acc[i] + 128) >> 8;
    }
  },
};
