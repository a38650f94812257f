// premultiply / unpremultiply — the host's alpha passes around a filter whose manifest says
// `"alpha": "premultiplied"`, in SIMD. They run on the calling thread over every padded
// region (premultiply) and every filtered output (unpremultiply) of such a filter, so they
// must be cheap, and next to free on an opaque image: a group of 16 pixels whose alphas are
// all 255 is only read (both passes are the identity there), never stored.
//
// Rounding, exact — equal to src/reference/alpha.ts for every (colour, alpha) pair (tested):
//   premultiply    c' = round(c·a / 255) = ⌊(c·a + 127) / 255⌋   (no ties: 255 is odd)
//   unpremultiply  c  = a == 0 ? 0 : min(255, ⌊(c'·255 + ⌊a/2⌋) / a⌋)   (half up)
// Alpha is never changed; a fully transparent pixel comes out 0, 0, 0, 0. The clamp is for a
// filter whose output has a colour above its alpha (a sharpen's overshoot).
//
// Memory: built twice. `premultiply.wasm` has a memory of its own, into which the host copies
// rows a chunk at a time; `premultiply.shared.wasm` imports a shared memory and is
// instantiated against the one that already holds the rows (the `shared` strategy's image
// memory), so it works in place. No statics, no data segments: it writes nothing but the
// rows it is given, also at instantiation.

/** The alpha bytes of four RGBA8 pixels; as u32 lanes, also the least value of an opaque pixel. */
const ALPHA_BYTES: v128 = i32x4.splat(0xff000000);
/** As u32 lanes, one more than the greatest value of a fully transparent pixel. */
const VISIBLE: v128 = i32x4.splat(0x01000000);

/** Whether all 16 pixels of v0..v3 are opaque. */
// @ts-ignore: decorator
@inline function opaque16(v0: v128, v1: v128, v2: v128, v3: v128): bool {
  return i32x4.all_true(v128.and(v128.and(i32x4.ge_u(v0, ALPHA_BYTES), i32x4.ge_u(v1, ALPHA_BYTES)),
                                 v128.and(i32x4.ge_u(v2, ALPHA_BYTES), i32x4.ge_u(v3, ALPHA_BYTES))));
}

/** Whether all 16 pixels of v0..v3 are fully transparent. */
// @ts-ignore: decorator
@inline function clear16(v0: v128, v1: v128, v2: v128, v3: v128): bool {
  return i32x4.all_true(v128.and(v128.and(i32x4.lt_u(v0, VISIBLE), i32x4.lt_u(v1, VISIBLE)),
                                 v128.and(i32x4.lt_u(v2, VISIBLE), i32x4.lt_u(v3, VISIBLE))));
}

/** Four pixels premultiplied. ⌊(x + 127) / 255⌋ for x ≤ 255² is (t + (t >> 8)) >> 8 with t = x + 128, in u16 lanes. */
// @ts-ignore: decorator
@inline function premultiply4(v: v128): v128 {
  const a = i8x16.shuffle(v, v, 3, 3, 3, 3, 7, 7, 7, 7, 11, 11, 11, 11, 15, 15, 15, 15);
  const bias = i16x8.splat(128);
  const lo = i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(v), i16x8.extend_low_i8x16_u(a)), bias);
  const hi = i16x8.add(i16x8.mul(i16x8.extend_high_i8x16_u(v), i16x8.extend_high_i8x16_u(a)), bias);
  const rl = i16x8.shr_u(i16x8.add(lo, i16x8.shr_u(lo, 8)), 8);
  const rh = i16x8.shr_u(i16x8.add(hi, i16x8.shr_u(hi, 8)), 8);
  return v128.bitselect(v, i8x16.narrow_i16x8_u(rl, rh), ALPHA_BYTES);
}

/**
 * Four colour values (u32 lanes) unpremultiplied by their pixels' alphas `a`, as i32 lanes.
 * The division is f32 and exact: numerator and divisor are integers below 2^24, and a
 * quotient that is not whole lies at least 1/255 from the next integer, more than f32's
 * error below 2^15. Signed conversions (all values are below 2^31) are single instructions
 * on x86, where the unsigned ones are emulated. a = 0 gives NaN or +inf here, masked later.
 */
// @ts-ignore: decorator
@inline function divide4(c: v128, a: v128, fa: v128): v128 {
  const num = i32x4.add(i32x4.mul(c, i32x4.splat(255)), i32x4.shr_u(a, 1));
  return i32x4.trunc_sat_f32x4_s(f32x4.div(f32x4.convert_i32x4_s(num), fa));
}

/** One channel of 16 pixels (bytes) unpremultiplied by their 16 alphas (bytes). */
// @ts-ignore: decorator
@inline function unpremultiplyChannel16(c: v128, a: v128): v128 {
  const a0 = i16x8.extend_low_i8x16_u(a);
  const a1 = i16x8.extend_high_i8x16_u(a);
  const c0 = i16x8.extend_low_i8x16_u(c);
  const c1 = i16x8.extend_high_i8x16_u(c);
  const a00 = i32x4.extend_low_i16x8_u(a0);
  const a01 = i32x4.extend_high_i16x8_u(a0);
  const a10 = i32x4.extend_low_i16x8_u(a1);
  const a11 = i32x4.extend_high_i16x8_u(a1);
  const max = i16x8.splat(255);
  const zero = i16x8.splat(0);
  const q0 = i16x8.narrow_i32x4_s(divide4(i32x4.extend_low_i16x8_u(c0), a00, f32x4.convert_i32x4_s(a00)),
                                  divide4(i32x4.extend_high_i16x8_u(c0), a01, f32x4.convert_i32x4_s(a01)));
  const q1 = i16x8.narrow_i32x4_s(divide4(i32x4.extend_low_i16x8_u(c1), a10, f32x4.convert_i32x4_s(a10)),
                                  divide4(i32x4.extend_high_i16x8_u(c1), a11, f32x4.convert_i32x4_s(a11)));
  // Colour 0 where alpha is 0; at most 255 elsewhere.
  const r0 = v128.andnot(i16x8.min_s(q0, max), i16x8.eq(a0, zero));
  const r1 = v128.andnot(i16x8.min_s(q1, max), i16x8.eq(a1, zero));
  return i8x16.narrow_i16x8_u(r0, r1);
}

/** 16 pixels at p unpremultiplied: split into channel planes, divided, interleaved back. */
// @ts-ignore: decorator
@inline function unpremultiply16(p: usize, v0: v128, v1: v128, v2: v128, v3: v128): void {
  const rg0 = i8x16.shuffle(v0, v1, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
  const ba0 = i8x16.shuffle(v0, v1, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
  const rg1 = i8x16.shuffle(v2, v3, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
  const ba1 = i8x16.shuffle(v2, v3, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
  const a = i8x16.shuffle(ba0, ba1, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  const r = unpremultiplyChannel16(i8x16.shuffle(rg0, rg1, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23), a);
  const g = unpremultiplyChannel16(i8x16.shuffle(rg0, rg1, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31), a);
  const b = unpremultiplyChannel16(i8x16.shuffle(ba0, ba1, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23), a);
  const rgLo = i8x16.shuffle(r, g, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const rgHi = i8x16.shuffle(r, g, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const baLo = i8x16.shuffle(b, a, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const baHi = i8x16.shuffle(b, a, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  v128.store(p, i8x16.shuffle(rgLo, baLo, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
  v128.store(p, i8x16.shuffle(rgLo, baLo, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), 16);
  v128.store(p, i8x16.shuffle(rgHi, baHi, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), 32);
  v128.store(p, i8x16.shuffle(rgHi, baHi, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), 48);
}

/**
 * Premultiplies `rows` rows of `width` RGBA8 pixels, `stride` bytes apart, in place.
 * @returns 1 when some pixel had alpha below 255 (the rows changed), 0 when every pixel was
 *          opaque (nothing was written: the rows are their own premultiplied form)
 */
export function premultiply_rows(ptr: usize, width: i32, rows: i32, stride: i32): i32 {
  let seen = 0;
  for (let y = 0; y < rows; y++) {
    const row = ptr + <usize>y * <usize>stride;
    let x = 0;
    for (; x + 16 <= width; x += 16) {
      const p = row + (<usize>x << 2);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      if (opaque16(v0, v1, v2, v3)) continue;
      seen = 1;
      v128.store(p, premultiply4(v0));
      v128.store(p, premultiply4(v1), 16);
      v128.store(p, premultiply4(v2), 32);
      v128.store(p, premultiply4(v3), 48);
    }
    for (; x < width; x++) {
      const p = row + (<usize>x << 2);
      const a = <u32>load<u8>(p, 3);
      if (a == 255) continue;
      seen = 1;
      for (let c: usize = 0; c < 3; c++) store<u8>(p + c, <u8>((<u32>load<u8>(p + c) * a + 127) / 255));
    }
  }
  return seen;
}

/**
 * Unpremultiplies `rows` rows of `width` RGBA8 pixels, `stride` bytes apart, in place.
 * @returns 1 when some pixel had alpha below 255, 0 when all were opaque (nothing was written)
 */
export function unpremultiply_rows(ptr: usize, width: i32, rows: i32, stride: i32): i32 {
  let seen = 0;
  const zero = i32x4.splat(0);
  for (let y = 0; y < rows; y++) {
    const row = ptr + <usize>y * <usize>stride;
    let x = 0;
    for (; x + 16 <= width; x += 16) {
      const p = row + (<usize>x << 2);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      if (opaque16(v0, v1, v2, v3)) continue;
      seen = 1;
      // A transparent background (far from a cut-out's edge) needs no division.
      if (clear16(v0, v1, v2, v3)) {
        v128.store(p, zero);
        v128.store(p, zero, 16);
        v128.store(p, zero, 32);
        v128.store(p, zero, 48);
      } else {
        unpremultiply16(p, v0, v1, v2, v3);
      }
    }
    for (; x < width; x++) {
      const p = row + (<usize>x << 2);
      const a = <u32>load<u8>(p, 3);
      if (a == 255) continue;
      seen = 1;
      for (let c: usize = 0; c < 3; c++) {
        store<u8>(p + c, <u8>(a == 0 ? 0 : min<u32>(255, (<u32>load<u8>(p + c) * 255 + (a >> 1)) / a)));
      }
    }
  }
  return seen;
}
