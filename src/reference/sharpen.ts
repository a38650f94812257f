import { boxMeans } from './box-sum.js';
import { clamp, param, type ReferenceFilter } from './common.js';

const radius = (params: readonly number[]): number => clamp(param(params, 1), 1, 8);

/** The amount (hundredths, 0..500) as a Q8 factor, rounded to nearest. */
export function amountQ8(amount100: number): number {
  return Math.floor((clamp(amount100, 0, 500) * 256 + 50) / 100);
}

/**
 * sharpen: unsharp mask out = clamp(p + ((a·(p - m) + 128) >> 8), 0, 255) on R, G and B,
 * where m is the box-blur mean of radius r and a = amountQ8(amount); alpha kept.
 */
export const sharpen: ReferenceFilter = {
  alpha: 'premultiplied',
  halo: radius,
  filter(mem, src, srcStride, dst, dstStride, width, height, params) {
    const a = amountQ8(param(params, 0));
    const means = boxMeans(mem, src, srcStride, width, height, radius(params));
    for (let y = 0; y < height; y++) {
      let s = src + y * srcStride;
      let d = dst + y * dstStride;
      let m = y * width * 4;
      for (let x = 0; x < width; x++, s += 4, d += 4, m += 4) {
        for (let c = 0; c < 3; c++) {
          const p = mem[s + c];
          mem[d + c] = clamp(p + ((a * (p - means[m + c]) + 128) >> 8), 0, 255);
        }
        mem[d + 3] = mem[s + 3];
      }
    }
  },
};
