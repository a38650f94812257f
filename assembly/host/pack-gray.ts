// pack_gray — the host's output check, in SIMD: is every RGBA8 pixel gray (r == g == b),
// and if so, pack its gray channel to one byte per pixel. Run on every output image
// to decide whether it can be written as 1-channel gray; in JS it cost ~1 ms per Kodak
// image on the main thread, here ~0.1 ms.
//
// Memory: the host grows this module's own memory and writes `n` RGBA pixels at `src`.

/**
 * @returns 0 when some pixel is not gray (dst is then garbage), 1 when all are gray and
 *          opaque, 2 when all are gray but some alpha is below 255. dst receives n bytes.
 */
export function pack_gray(src: usize, n: i32, dst: usize): i32 {
  // Replicate each pixel's red byte over r, g, b (keep a): equal to the pixel iff it is gray.
  let alpha = i8x16.splat(-1);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = src + (<usize>i << 2);
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const v2 = v128.load(p, 32);
    const v3 = v128.load(p, 48);
    const ok = v128.and(
      v128.and(i8x16.eq(v0, i8x16.shuffle(v0, v0, 0, 0, 0, 3, 4, 4, 4, 7, 8, 8, 8, 11, 12, 12, 12, 15)),
               i8x16.eq(v1, i8x16.shuffle(v1, v1, 0, 0, 0, 3, 4, 4, 4, 7, 8, 8, 8, 11, 12, 12, 12, 15))),
      v128.and(i8x16.eq(v2, i8x16.shuffle(v2, v2, 0, 0, 0, 3, 4, 4, 4, 7, 8, 8, 8, 11, 12, 12, 12, 15)),
               i8x16.eq(v3, i8x16.shuffle(v3, v3, 0, 0, 0, 3, 4, 4, 4, 7, 8, 8, 8, 11, 12, 12, 12, 15))));
    if (!i8x16.all_true(ok)) return 0;
    alpha = v128.and(alpha, v128.and(v128.and(v0, v1), v128.and(v2, v3)));
    const lo = i8x16.shuffle(v0, v1, 0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);
    const hi = i8x16.shuffle(v2, v3, 0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);
    v128.store(dst + <usize>i, i64x2.shuffle(lo, hi, 0, 2));
  }
  let a: u32 = 0xff;
  for (; i < n; i++) {
    const v = load<u32>(src + (<usize>i << 2));
    const r = v & 0xff;
    if (((v >> 8) & 0xff) != r || ((v >> 16) & 0xff) != r) return 0;
    a &= v >> 24;
    store<u8>(dst + <usize>i, <u8>r);
  }
  // Alpha lanes are bytes 3, 7, 11, 15 of the accumulated AND.
  a &= <u32>i8x16.extract_lane_u(alpha, 3) & <u32>i8x16.extract_lane_u(alpha, 7) &
       <u32>i8x16.extract_lane_u(alpha, 11) & <u32>i8x16.extract_lane_u(alpha, 15);
  return a == 0xff ? 1 : 2;
}
