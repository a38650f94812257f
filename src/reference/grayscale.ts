import { luma, type ReferenceFilter } from './common.js';

/** grayscale: l = (6966 r + 23436 g + 2366 b + 16384) >> 15 written to R, G and B; alpha kept. */
export const grayscale: ReferenceFilter = {
  halo: () => 0,
  filter(mem, src, srcStride, dst, dstStride, width, height) {
    for (let y = 0; y < height; y++) {
      let s = src + y * srcStride;
      let d = dst + y * dstStride;
      for (let x = 0; x < width; x++, s += 4, d += 4) {
        const l = luma(mem[s], mem[s + 1], mem[s + 2]);
        mem[d] = l;
        mem[d + 1] = l;
        mem[d + 2] = l;
        mem[d + 3] = mem[s + 3];
      }
    }
  },
};
