import { luma, type ReferenceFilter } from './common.js';

/**
 * sobel: on BT.709 luma L (the grayscale formula), out = min(255, |gx| + |gy|) with the
 * 3×3 Sobel kernels, written to R, G and B; alpha kept. Reads 1 pixel of halo.
 */
export const sobel: ReferenceFilter = {
  alpha: 'premultiplied',
  halo: () => 1,
  filter(mem, src, srcStride, dst, dstStride, width, height) {
    const w = width + 2;
    // Luma of rows -1..height and columns -1..width: l[(y + 1)·w + x + 1].
    const l = new Uint8Array(w * (height + 2));
    for (let y = -1; y <= height; y++) {
      let s = src + y * srcStride - 4;
      for (let x = 0; x < w; x++, s += 4) l[(y + 1) * w + x] = luma(mem[s], mem[s + 1], mem[s + 2]);
    }
    for (let y = 0; y < height; y++) {
      const top = y * w, mid = top + w, bot = mid + w;
      let s = src + y * srcStride;
      let d = dst + y * dstStride;
      for (let x = 0; x < width; x++, s += 4, d += 4) {
        const gx = l[top + x + 2] + 2 * l[mid + x + 2] + l[bot + x + 2] - (l[top + x] + 2 * l[mid + x] + l[bot + x]);
        const gy = l[bot + x] + 2 * l[bot + x + 1] + l[bot + x + 2] - (l[top + x] + 2 * l[top + x + 1] + l[top + x + 2]);
        const m = Math.min(255, Math.abs(gx) + Math.abs(gy));
        mem[d] = m;
        mem[d + 1] = m;
        mem[d + 2] = m;
        mem[d + 3] = mem[s + 3];
      }
    }
  },
};
