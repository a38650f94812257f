// sepia — blend toward the classic sepia matrix, in Q12 fixed point, alpha kept. halo 0.
// S (Q12) = round(4096 · [0.393 0.769 0.189; 0.349 0.686 0.168; 0.272 0.534 0.131]).
// The blend is folded into the matrix (as CSS sepia() does): for amount a in 0..100,
//   M_ij = floor((a·S_ij + (100 - a)·4096·[i == j] + 50) / 100)
//   out_i = min(255, (M_i0·r + M_i1·g + M_i2·b + 2048) >> 12)
// a = 0 gives the identity exactly; a = 100 gives S.
export { tessera_abi, alloc } from "../lib/abi";

// @ts-ignore: decorator
@inline function blend(a: i32, s: i32, diag: bool): i32 {
  return (a * s + (diag ? (100 - a) * 4096 : 0) + 50) / 100;
}

export function halo(p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 0;
}

export function scratch_size(width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 0;
}

/** One output channel for 4 pixels: (rb·(M_i0, M_i2) + ga·(M_i1, 0) + 2048) >> 12, capped at 255. */
// @ts-ignore: decorator
@inline function channel(rb: v128, ga: v128, wrb: v128, wga: v128): v128 {
  const sum = i32x4.add(i32x4.dot_i16x8_s(rb, wrb), i32x4.dot_i16x8_s(ga, wga));
  return i32x4.min_s(i32x4.shr_u(i32x4.add(sum, i32x4.splat(2048)), 12), i32x4.splat(255));
}

export function filter(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32,
): void {
  const a = p0 < 0 ? 0 : p0 > 100 ? 100 : p0;
  const m00 = blend(a, 1610, true), m01 = blend(a, 3150, false), m02 = blend(a, 774, false);
  const m10 = blend(a, 1430, false), m11 = blend(a, 2810, true), m12 = blend(a, 688, false);
  const m20 = blend(a, 1114, false), m21 = blend(a, 2187, false), m22 = blend(a, 537, true);
  // As i16x8 a pixel is (r + 256g, b + 256a): masking gives (r, b), a 16-bit shift gives (g, a),
  // so two dot products per channel cover r, g and b (alpha weighted 0).
  const wrbR = i32x4.splat(m00 | (m02 << 16)), wgaR = i32x4.splat(m01);
  const wrbG = i32x4.splat(m10 | (m12 << 16)), wgaG = i32x4.splat(m11);
  const wrbB = i32x4.splat(m20 | (m22 << 16)), wgaB = i32x4.splat(m21);
  const lowBytes = i32x4.splat(0x00ff00ff);
  const alpha = i32x4.splat(0xff000000);
  const w4 = width & ~3;
  for (let y = 0; y < height; y++) {
    const s = src + <usize>(y * srcStride);
    const d = dst + <usize>(y * dstStride);
    let x = 0;
    for (; x < w4; x += 4) {
      const o = <usize>(x << 2);
      const px = v128.load(s + o);
      const rb = v128.and(px, lowBytes);
      const ga = i16x8.shr_u(px, 8);
      const r = channel(rb, ga, wrbR, wgaR);
      const g = channel(rb, ga, wrbG, wgaG);
      const b = channel(rb, ga, wrbB, wgaB);
      const out = v128.or(v128.or(r, i32x4.shl(g, 8)), v128.or(i32x4.shl(b, 16), v128.and(px, alpha)));
      v128.store(d + o, out);
    }
    for (; x < width; x++) {
      const o = <usize>(x << 2);
      const r = <i32>load<u8>(s + o), g = <i32>load<u8>(s + o, 1), b = <i32>load<u8>(s + o, 2);
      const nr = min((m00 * r + m01 * g + m02 * b + 2048) >> 12, 255);
      const ng = min((m10 * r + m11 * g + m12 * b + 2048) >> 12, 255);
      const nb = min((m20 * r + m21 * g + m22 * b + 2048) >> 12, 255);
      store<u32>(d + o, (load<u32>(s + o) & 0xff000000) | <u32>nr | (<u32>ng << 8) | (<u32>nb << 16));
    }
  }
}
