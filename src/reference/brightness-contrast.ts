import { clamp, param, type ReferenceFilter } from './common.js';

/**
 * The contrast slope in Q12: (100 + c)/100 for c ≤ 0 (down to 0: flat gray), 100/(100 - c)
 * for c > 0 (up to 100: a threshold at 128), each rounded to nearest.
 */
export function slopeQ12(contrast: number): number {
  const c = clamp(contrast, -100, 100);
  if (c <= 0) return Math.floor(((100 + c) * 4096 + 50) / 100);
  const k = Math.max(1, 100 - c);
  return Math.floor((409600 + (k >> 1)) / k);
}

/**
 * brightness-contrast: out = clamp((((x + brightness - 128)·F + 2048) >> 12) + 128, 0, 255)
 * on R, G and B with F = slopeQ12(contrast); alpha kept. The map is the same for every
 * channel value, so it is tabulated once per call.
 */
export const brightnessContrast: ReferenceFilter = {
  halo: () => 0,
  filter(mem, src, srcStride, dst, dstStride, width, height, params) {
    const bright = clamp(param(params, 0), -255, 255);
    const f = slopeQ12(param(params, 1));
    const lut = new Uint8Array(256);
    for (let v = 0; v < 256; v++) lut[v] = clamp((((v + bright - 128) * f + 2048) >> 12) + 128, 0, 255);
    for (let y = 0; y < height; y++) {
      let s = src + y * srcStride;
      let d = dst + y * dstStride;
      for (let x = 0; x < width; x++, s += 4, d += 4) {
        mem[d] = lut[mem[s]];
        mem[d + 1] = lut[mem[s + 1]];
        mem[d + 2] = lut[mem[s + 2]];
        mem[d + 3] = mem[s + 3];
      }
    }
  },
};
