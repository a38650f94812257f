// brightness-contrast — per channel on RGB, alpha kept, halo 0:
//   F = contrast ≤ 0 ? floor(((100 + contrast)·4096 + 50) / 100)          (slope 0..1, Q12)
//                    : floor((409600 + floor(k/2)) / k), k = max(1, 100 - contrast)   (slope 1..100)
//   out = clamp((((x + brightness - 128)·F + 2048) >> 12) + 128, 0, 255)
// brightness = contrast = 0 is the identity exactly.
export { tessera_abi, alloc } from "../lib/abi";

export function halo(p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 0;
}

export function scratch_size(width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 0;
}

/** Q12 contrast slope; must match slopeQ12 in src/filters/reference/brightness-contrast.ts. */
// @ts-ignore: decorator
@inline function slopeQ12(c: i32): i32 {
  if (c <= 0) return ((100 + c) * 4096 + 50) / 100;
  const k = max(1, 100 - c);
  return (409600 + (k >> 1)) / k;
}

// @ts-ignore: decorator
@inline function quarter(v16: v128, f: v128, round: v128): v128 {
  // (v·F + 2048) >> 12 for 4 lanes; |v·F| ≤ 383·409600 < 2^31.
  return i32x4.shr_s(i32x4.add(i32x4.mul(v16, f), round), 12);
}

export function filter(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32,
): void {
  const bright = p0 < -255 ? -255 : p0 > 255 ? 255 : p0;
  const contrast = p1 < -100 ? -100 : p1 > 100 ? 100 : p1;
  const f = slopeQ12(contrast);
  const fv = i32x4.splat(f);
  const offset = i16x8.splat(<i16>(bright - 128));
  const round = i32x4.splat(2048);
  const mid = i16x8.splat(128);
  const rgb = i32x4.splat(0x00ffffff);
  const w4 = width & ~3;
  for (let y = 0; y < height; y++) {
    const s = src + <usize>(y * srcStride);
    const d = dst + <usize>(y * dstStride);
    let x = 0;
    for (; x < w4; x += 4) {
      const o = <usize>(x << 2);
      const px = v128.load(s + o);
      const lo = i16x8.add(i16x8.extend_low_i8x16_u(px), offset);   // x + b - 128, in -383..382
      const hi = i16x8.add(i16x8.extend_high_i8x16_u(px), offset);
      const q0 = quarter(i32x4.extend_low_i16x8_s(lo), fv, round);
      const q1 = quarter(i32x4.extend_high_i16x8_s(lo), fv, round);
      const q2 = quarter(i32x4.extend_low_i16x8_s(hi), fv, round);
      const q3 = quarter(i32x4.extend_high_i16x8_s(hi), fv, round);
      // Saturating narrows and add keep out-of-range values out of range; the final
      // unsigned narrow clamps to 0..255.
      const olo = i16x8.add_sat_s(i16x8.narrow_i32x4_s(q0, q1), mid);
      const ohi = i16x8.add_sat_s(i16x8.narrow_i32x4_s(q2, q3), mid);
      v128.store(d + o, v128.bitselect(i8x16.narrow_i16x8_u(olo, ohi), px, rgb));
    }
    for (; x < width; x++) {
      const o = <usize>(x << 2);
      for (let c: usize = 0; c < 3; c++) {
        let v = ((((<i32>load<u8>(s + o + c)) + bright - 128) * f + 2048) >> 12) + 128;
        v = v < 0 ? 0 : v > 255 ? 255 : v;
        store<u8>(d + o + c, <u8>v);
      }
      store<u8>(d + o, load<u8>(s + o, 3), 3);
    }
  }
}
