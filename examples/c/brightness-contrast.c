/*
 * brightness-contrast in C — a point filter with two params, the built-in
 * assembly/filters/brightness-contrast.ts ported to C, bit-identical to its TypeScript
 * reference (src/reference/brightness-contrast.ts). Per channel on RGB, alpha kept, halo 0:
 *
 *   F   = contrast <= 0 ? floor(((100 + contrast)·4096 + 50) / 100)                 (slope 0..1, Q12)
 *                       : floor((409600 + floor(k/2)) / k), k = max(1, 100 - contrast) (slope 1..100)
 *   out = clamp((((x + brightness - 128)·F + 2048) >> 12) + 128, 0, 255)
 *
 * Build: node scripts/build-native-filter.mjs --src examples/c/brightness-contrast.c --out my-filters
 */
#include <wasm_simd128.h>

#include "tessera_filter.h"

static inline int32_t clamp(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/** The contrast slope in Q12, rounded to nearest; must match slopeQ12 in the reference. */
static inline int32_t slope_q12(int32_t c) {
  if (c <= 0) return ((100 + c) * 4096 + 50) / 100;
  int32_t k = 100 - c < 1 ? 1 : 100 - c;
  return (409600 + (k >> 1)) / k;
}

/** (v·F + 2048) >> 12 for 4 lanes; |v·F| <= 383·409600 < 2^31. */
static inline v128_t quarter(v128_t v, v128_t f, v128_t round) {
  return wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_mul(v, f), round), 12);
}

int32_t tessera_abi(void) { return TESSERA_ABI_VERSION; }

int32_t halo(int32_t p0, int32_t p1, int32_t p2, int32_t p3) { return 0; }

int32_t scratch_size(int32_t width, int32_t height, int32_t p0, int32_t p1, int32_t p2, int32_t p3) { return 0; }

void filter(const uint8_t *src, int32_t src_stride, uint8_t *dst, int32_t dst_stride, int32_t width, int32_t height,
            uint8_t *scratch, int32_t p0, int32_t p1, int32_t p2, int32_t p3) {
  const int32_t bright = clamp(p0, -255, 255);
  const int32_t f = slope_q12(clamp(p1, -100, 100));
  const v128_t fv = wasm_i32x4_splat(f);
  const v128_t offset = wasm_i16x8_splat((int16_t)(bright - 128));
  const v128_t round = wasm_i32x4_splat(2048);
  const v128_t mid = wasm_i16x8_splat(128);
  const v128_t rgb = wasm_i32x4_splat(0x00ffffff);
  const int32_t w4 = width & ~3;
  for (int32_t y = 0; y < height; y++) {
    const uint8_t *s = src + y * src_stride;
    uint8_t *d = dst + y * dst_stride;
    int32_t x = 0;
    for (; x < w4; x += 4) {
      const int32_t o = x << 2;
      const v128_t px = wasm_v128_load(s + o);
      const v128_t lo = wasm_i16x8_add(wasm_u16x8_extend_low_u8x16(px), offset); /* x + b - 128, in -383..382 */
      const v128_t hi = wasm_i16x8_add(wasm_u16x8_extend_high_u8x16(px), offset);
      const v128_t q0 = quarter(wasm_i32x4_extend_low_i16x8(lo), fv, round);
      const v128_t q1 = quarter(wasm_i32x4_extend_high_i16x8(lo), fv, round);
      const v128_t q2 = quarter(wasm_i32x4_extend_low_i16x8(hi), fv, round);
      const v128_t q3 = quarter(wasm_i32x4_extend_high_i16x8(hi), fv, round);
      /* Saturating narrows and adds keep out-of-range values out of range; the final
         unsigned narrow clamps to 0..255. Alpha comes from the source. */
      const v128_t olo = wasm_i16x8_add_sat(wasm_i16x8_narrow_i32x4(q0, q1), mid);
      const v128_t ohi = wasm_i16x8_add_sat(wasm_i16x8_narrow_i32x4(q2, q3), mid);
      wasm_v128_store(d + o, wasm_v128_bitselect(wasm_u8x16_narrow_i16x8(olo, ohi), px, rgb));
    }
    for (; x < width; x++) {
      const int32_t o = x << 2;
      for (int32_t c = 0; c < 3; c++) d[o + c] = (uint8_t)clamp(((((int32_t)s[o + c] + bright - 128) * f + 2048) >> 12) + 128, 0, 255);
      d[o + 3] = s[o + 3];
    }
  }
}
