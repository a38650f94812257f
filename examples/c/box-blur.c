/*
 * box-blur in C — the built-in box-blur (assembly/filters/box-blur.ts, assembly/lib/box.ts)
 * ported line for line, so it is bit-identical to its TypeScript reference
 * (src/reference/box-blur.ts) and does the same work per tile.
 *
 * Mean of the (2r+1)² window on all four channels, rounded:
 *   out = floor((Σ window + floor(d/2)) / d),  d = (2r+1)²,  halo = r.
 * Separable and exact: horizontal window sums per row (u16 per channel, ≤ 65·255) into a
 * ring of 2r+2 rows in scratch, and one i32 row of vertical sums that slides down the tile.
 * V / d is rounded as f32(V)·f32(1/d) + 1.5·2^23 (exact for every reachable V: see the
 * proof in assembly/lib/box.ts).
 *
 * Build: node scripts/build-native-filter.mjs --src examples/c/box-blur.c --out my-filters
 */
#include <wasm_simd128.h>

#include "tessera_filter.h"

/** Radii up to this sum the window directly (2r+1 loads per vector); larger ones use a prefix sum. */
#define DIRECT_MAX 3

static inline int32_t align16(int32_t n) { return (n + 15) & ~15; }
static inline int32_t h_row_bytes(int32_t width) { return align16(width << 3); }

/** The radius param, clamped to the manifest range so a bad host value cannot widen the halo. */
static inline int32_t radius(int32_t p0) { return p0 < 1 ? 1 : p0 > 32 ? 32 : p0; }

static inline uint16_t load_u16(const uint8_t *p) { uint16_t v; __builtin_memcpy(&v, p, 2); return v; }
static inline int32_t load_i32(const uint8_t *p) { int32_t v; __builtin_memcpy(&v, p, 4); return v; }
static inline void store_u16(uint8_t *p, uint16_t v) { __builtin_memcpy(p, &v, 2); }
static inline void store_i32(uint8_t *p, int32_t v) { __builtin_memcpy(p, &v, 4); }

int32_t tessera_abi(void) { return TESSERA_ABI_VERSION; }

int32_t halo(int32_t p0, int32_t p1, int32_t p2, int32_t p3) { return radius(p0); }

/** The ring of 2r+2 horizontal-sum rows, the i32 vertical sums, the prefix row of large radii. */
static int32_t box_scratch_size(int32_t width, int32_t r) {
  int32_t ring = (2 * r + 2) * h_row_bytes(width);
  int32_t acc = align16(width << 4);
  int32_t prefix = align16((width + 2 * r + 1) << 3);
  return ring + acc + prefix;
}

int32_t scratch_size(int32_t width, int32_t height, int32_t p0, int32_t p1, int32_t p2, int32_t p3) {
  return box_scratch_size(width, radius(p0));
}

/**
 * Horizontal window sums of one source row into `out` (u16 per channel, 8 bytes a pixel).
 * `s` points at pixel 0 of the row; pixels -r .. width-1+r are read.
 */
static void hsum_row(const uint8_t *s, uint8_t *out, int32_t width, int32_t r, uint8_t *prefix) {
  const uint8_t *left = s - (r << 2);
  if (r <= DIRECT_MAX) {
    int32_t taps = 2 * r + 1;
    int32_t x = 0;
    for (; x + 4 <= width; x += 4) {
      const uint8_t *p = left + (x << 2);
      v128_t lo = wasm_u16x8_load8x8(p);
      v128_t hi = wasm_u16x8_load8x8(p + 8);
      const uint8_t *q = p;
      for (int32_t t = 1; t < taps; t++) {
        q += 4;
        lo = wasm_i16x8_add(lo, wasm_u16x8_load8x8(q));
        hi = wasm_i16x8_add(hi, wasm_u16x8_load8x8(q + 8));
      }
      uint8_t *o = out + (x << 3);
      wasm_v128_store(o, lo);
      wasm_v128_store(o + 16, hi);
    }
    for (; x < width; x++) {
      const uint8_t *p = left + (x << 2);
      uint32_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (int32_t t = 0; t < taps; t++, p += 4) {
        c0 += p[0]; c1 += p[1]; c2 += p[2]; c3 += p[3];
      }
      uint8_t *o = out + (x << 3);
      store_u16(o, (uint16_t)c0); store_u16(o + 2, (uint16_t)c1); store_u16(o + 4, (uint16_t)c2); store_u16(o + 6, (uint16_t)c3);
    }
    return;
  }
  /* Prefix sums modulo 2^16 per channel: P[0] = 0, P[i+1] = P[i] + p(i - r). A window sum
     is P[x+2r+1] - P[x] < 2^16, so the wrap-around cancels. */
  int32_t n = width + 2 * r;
  const v128_t zero = wasm_i32x4_splat(0);
  v128_t carry = zero; /* the last prefix value, in both halves */
  wasm_v128_store64_lane(prefix, zero, 0);
  int32_t i = 0;
  for (; i + 2 <= n; i += 2) {
    v128_t v = wasm_u16x8_load8x8(left + (i << 2)); /* [p_i | p_i+1] */
    /* [p_i | p_i+1] + [0 | p_i] = [p_i | p_i + p_i+1] */
    v = wasm_i16x8_add(v, wasm_i8x16_shuffle(zero, v, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
    v = wasm_i16x8_add(v, carry);
    wasm_v128_store(prefix + ((i + 1) << 3), v);
    carry = wasm_i64x2_shuffle(v, v, 1, 1);
  }
  if (i < n) {
    v128_t v = wasm_i16x8_add(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(left + (i << 2))), carry);
    wasm_v128_store64_lane(prefix + ((i + 1) << 3), v, 0);
  }
  int32_t span = (2 * r + 1) << 3;
  int32_t x = 0;
  for (; x + 2 <= width; x += 2) {
    const uint8_t *p = prefix + (x << 3);
    wasm_v128_store(out + (x << 3), wasm_i16x8_sub(wasm_v128_load(p + span), wasm_v128_load(p)));
  }
  if (x < width) {
    const uint8_t *p = prefix + (x << 3);
    wasm_v128_store64_lane(out + (x << 3), wasm_i16x8_sub(wasm_v128_load64_zero(p + span), wasm_v128_load64_zero(p)), 0);
  }
}

/** acc (i32 per channel) += row (u16 per channel), for `width` pixels. */
static void acc_add(uint8_t *acc, const uint8_t *row, int32_t width) {
  int32_t x = 0;
  for (; x + 2 <= width; x += 2) {
    v128_t h = wasm_v128_load(row + (x << 3));
    uint8_t *a = acc + (x << 4);
    wasm_v128_store(a, wasm_i32x4_add(wasm_v128_load(a), wasm_u32x4_extend_low_u16x8(h)));
    wasm_v128_store(a + 16, wasm_i32x4_add(wasm_v128_load(a + 16), wasm_u32x4_extend_high_u16x8(h)));
  }
  if (x < width) {
    uint8_t *a = acc + (x << 4);
    wasm_v128_store(a, wasm_i32x4_add(wasm_v128_load(a), wasm_u32x4_extend_low_u16x8(wasm_v128_load64_zero(row + (x << 3)))));
  }
}

/** acc += new_row - old_row for the 16 channels of pixels x..x+3 (the same row twice leaves acc as is). */
static inline void slide4(uint8_t *acc, const uint8_t *new_row, const uint8_t *old_row, int32_t x) {
  const uint8_t *hn = new_row + (x << 3);
  const uint8_t *ho = old_row + (x << 3);
  /* The difference of two window sums fits i16, so subtract before widening. */
  v128_t d0 = wasm_i16x8_sub(wasm_v128_load(hn), wasm_v128_load(ho));
  v128_t d1 = wasm_i16x8_sub(wasm_v128_load(hn + 16), wasm_v128_load(ho + 16));
  uint8_t *a = acc + (x << 4);
  wasm_v128_store(a, wasm_i32x4_add(wasm_v128_load(a), wasm_i32x4_extend_low_i16x8(d0)));
  wasm_v128_store(a + 16, wasm_i32x4_add(wasm_v128_load(a + 16), wasm_i32x4_extend_high_i16x8(d0)));
  wasm_v128_store(a + 32, wasm_i32x4_add(wasm_v128_load(a + 32), wasm_i32x4_extend_low_i16x8(d1)));
  wasm_v128_store(a + 48, wasm_i32x4_add(wasm_v128_load(a + 48), wasm_i32x4_extend_high_i16x8(d1)));
}

/** round(V / d) for 4 lanes: V·f32(1/d) + 1.5·2^23 leaves the rounded integer in the low mantissa bits. */
static inline v128_t mean4(v128_t v, v128_t rcp, v128_t magic) {
  return wasm_i32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(v), rcp), magic), magic);
}

/** Scalar tail: slides the sum of channel c of pixel x and returns the new sum. */
static inline int32_t slide1(uint8_t *acc, const uint8_t *new_row, const uint8_t *old_row, int32_t x, int32_t c) {
  uint8_t *a = acc + (x << 4) + (c << 2);
  int32_t v = load_i32(a) + load_u16(new_row + (x << 3) + (c << 1)) - load_u16(old_row + (x << 3) + (c << 1));
  store_i32(a, v);
  return v;
}

/** One output row: slide the sums and write the means. */
static void slide_box(uint8_t *acc, const uint8_t *new_row, const uint8_t *old_row, uint8_t *d, int32_t width, int32_t dd,
                      v128_t rcp, v128_t magic) {
  int32_t x = 0;
  for (; x + 4 <= width; x += 4) {
    slide4(acc, new_row, old_row, x);
    uint8_t *a = acc + (x << 4);
    v128_t m0 = mean4(wasm_v128_load(a), rcp, magic);
    v128_t m1 = mean4(wasm_v128_load(a + 16), rcp, magic);
    v128_t m2 = mean4(wasm_v128_load(a + 32), rcp, magic);
    v128_t m3 = mean4(wasm_v128_load(a + 48), rcp, magic);
    wasm_v128_store(d + (x << 2), wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(m0, m1), wasm_i16x8_narrow_i32x4(m2, m3)));
  }
  int32_t half = dd >> 1;
  for (; x < width; x++) {
    for (int32_t c = 0; c < 4; c++) d[(x << 2) + c] = (uint8_t)((slide1(acc, new_row, old_row, x, c) + half) / dd);
  }
}

void filter(const uint8_t *src, int32_t src_stride, uint8_t *dst, int32_t dst_stride, int32_t width, int32_t height,
            uint8_t *scratch, int32_t p0, int32_t p1, int32_t p2, int32_t p3) {
  if (width <= 0 || height <= 0) return;
  int32_t r = radius(p0);
  int32_t row_bytes = h_row_bytes(width);
  int32_t slots = 2 * r + 2;
  uint8_t *ring = scratch;
  uint8_t *acc = ring + slots * row_bytes;
  uint8_t *prefix = acc + align16(width << 4);
  __builtin_memset(acc, 0, (uint32_t)(width << 4));
  /* Source row j sits in ring slot (j + r) % slots; rows -r..r prime the window. */
  for (int32_t j = -r; j <= r; j++) {
    uint8_t *row = ring + ((j + r) % slots) * row_bytes;
    hsum_row(src + j * src_stride, row, width, r, prefix);
    acc_add(acc, row, width);
  }
  int32_t dd = (2 * r + 1) * (2 * r + 1);
  const v128_t rcp = wasm_f32x4_splat(1.0f / (float)dd);
  const v128_t magic = wasm_f32x4_splat(12582912.0f); /* 1.5 · 2^23 */
  uint8_t *first = ring + (r % slots) * row_bytes;
  slide_box(acc, first, first, dst, width, dd, rcp, magic);
  for (int32_t y = 1; y < height; y++) {
    int32_t jn = y + r;
    int32_t jo = y - r - 1;
    uint8_t *row_n = ring + ((jn + r) % slots) * row_bytes;
    uint8_t *row_o = ring + ((jo + r) % slots) * row_bytes;
    hsum_row(src + jn * src_stride, row_n, width, r, prefix);
    slide_box(acc, row_n, row_o, dst + y * dst_stride, width, dd, rcp, magic);
  }
}
