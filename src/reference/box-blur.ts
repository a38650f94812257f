import { boxMeans } from './box-sum.js';
import { clamp, param, type ReferenceFilter } from './common.js';

const radius = (params: readonly number[]): number => clamp(param(params, 0), 1, 32);

/** box-blur: every channel, alpha included, becomes floor((Σ window + floor(d/2)) / d), d = (2r+1)². */
export const boxBlur: ReferenceFilter = {
  alpha: 'premultiplied',
  halo: radius,
  filter(mem, src, srcStride, dst, dstStride, width, height, params) {
    const means = boxMeans(mem, src, srcStride, width, height, radius(params));
    for (let y = 0; y < height; y++) mem.set(means.subarray(y * width * 4, (y + 1) * width * 4), dst + y * dstStride);
  },
};
