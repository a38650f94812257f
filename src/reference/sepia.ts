import { clamp, param, type ReferenceFilter } from './common.js';

/** The classic sepia matrix (0.393 0.769 0.189 / 0.349 0.686 0.168 / 0.272 0.534 0.131) in Q12, row-major. */
export const SEPIA_Q12: readonly number[] = [1610, 3150, 774, 1430, 2810, 688, 1114, 2187, 537];

/**
 * The Q12 matrix for `amount` percent: floor((a·S_ij + (100 - a)·4096·[i == j] + 50) / 100).
 * Blending the matrix (as CSS sepia() does) rather than the output keeps one rounding step.
 */
export function sepiaMatrix(amount: number): number[] {
  const a = clamp(amount, 0, 100);
  return SEPIA_Q12.map((s, i) => Math.floor((a * s + (i % 4 === 0 ? (100 - a) * 4096 : 0) + 50) / 100));
}

/** sepia: out_i = min(255, (M_i0 r + M_i1 g + M_i2 b + 2048) >> 12) with M = sepiaMatrix(amount); alpha kept. */
export const sepia: ReferenceFilter = {
  halo: () => 0,
  filter(mem, src, srcStride, dst, dstStride, width, height, params) {
    const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = sepiaMatrix(param(params, 0));
    for (let y = 0; y < height; y++) {
      let s = src + y * srcStride;
      let d = dst + y * dstStride;
      for (let x = 0; x < width; x++, s += 4, d += 4) {
        const r = mem[s], g = mem[s + 1], b = mem[s + 2];
        mem[d] = Math.min(255, (m00 * r + m01 * g + m02 * b + 2048) >> 12);
        mem[d + 1] = Math.min(255, (m10 * r + m11 * g + m12 * b + 2048) >> 12);
        mem[d + 2] = Math.min(255, (m20 * r + m21 * g + m22 * b + 2048) >> 12);
        mem[d + 3] = mem[s + 3];
      }
    }
  },
};
