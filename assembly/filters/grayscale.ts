// grayscale — BT.709 luma in Q15 fixed point, rounded: l = (6966 r + 23436 g + 2366 b + 16384) >> 15.
// Alpha is kept. The weights sum to 32768, so white stays 255 and every gray stays itself.
export { tessera_abi, alloc } from "../lib/abi";

// @ts-ignore: decorator
@inline const WR: i32 = 6966;
// @ts-ignore: decorator
@inline const WG: i32 = 23436;
// @ts-ignore: decorator
@inline const WB: i32 = 2366;

export function halo(p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 0;
}

export function scratch_size(width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 0;
}

// @ts-ignore: decorator
@inline function gray4(px: v128): v128 {
  // Viewed as i16x8, a pixel r|g<<8|b<<16|a<<24 is the pair (r + 256g, b + 256a):
  // masking the high bytes leaves (r, b), shifting each 16-bit lane right by 8 leaves (g, a).
  // One dot product per pair then gives r·WR + b·WB and g·WG + a·0 in each pixel's i32 lane.
  const rb = v128.and(px, i32x4.splat(0x00ff00ff));
  const ga = i16x8.shr_u(px, 8);
  const sum = i32x4.add(
    i32x4.dot_i16x8_s(rb, i16x8(<i16>WR, <i16>WB, <i16>WR, <i16>WB, <i16>WR, <i16>WB, <i16>WR, <i16>WB)),
    i32x4.dot_i16x8_s(ga, i16x8(<i16>WG, 0, <i16>WG, 0, <i16>WG, 0, <i16>WG, 0)),
  );
  const luma = i32x4.shr_u(i32x4.add(sum, i32x4.splat(16384)), 15);
  // (l, l, l, 0) = l · 0x010101; a multiply beats a byte shuffle here because V8
  // rebuilds a shuffle's constant mask at every use.
  return v128.or(i32x4.mul(luma, i32x4.splat(0x010101)), v128.and(px, i32x4.splat(0xff000000)));
}

export function filter(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32,
): void {
  const w16 = width & ~15;
  const w4 = width & ~3;
  for (let y = 0; y < height; y++) {
    const s = src + <usize>(y * srcStride);
    const d = dst + <usize>(y * dstStride);
    let x = 0;
    for (; x < w16; x += 16) {
      const off = <usize>(x << 2);
      const a = v128.load(s + off);
      const b = v128.load(s + off, 16);
      const c = v128.load(s + off, 32);
      const e = v128.load(s + off, 48);
      v128.store(d + off, gray4(a));
      v128.store(d + off, gray4(b), 16);
      v128.store(d + off, gray4(c), 32);
      v128.store(d + off, gray4(e), 48);
    }
    for (; x < w4; x += 4) {
      const off = <usize>(x << 2);
      v128.store(d + off, gray4(v128.load(s + off)));
    }
    for (; x < width; x++) {
      const p = s + <usize>(x << 2);
      const l = (WR * <i32>load<u8>(p) + WG * <i32>load<u8>(p, 1) + WB * <i32>load<u8>(p, 2) + 16384) >> 15;
      store<u32>(d + <usize>(x << 2), (<u32>load<u8>(p, 3) << 24) | (<u32>l * 0x010101));
    }
  }
}
