import type { ReferenceFilter } from './common.js';

/** invert: RGB → 255 - x, alpha kept. */
export const invert: ReferenceFilter = {
  halo: () => 0,
  filter(mem, src, srcStride, dst, dstStride, width, height) {
    for (let y = 0; y < height; y++) {
      let s = src + y * srcStride;
      let d = dst + y * dstStride;
      for (let x = 0; x < width; x++, s += 4, d += 4) {
        mem[d] = 255 - mem[s];
        mem[d + 1] = 255 - mem[s + 1];
        mem[d + 2] = 255 - mem[s + 2];
        mem[d + 3] = mem[s + 3];
      }
    }
  },
};
