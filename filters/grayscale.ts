// grayscale — BT.709 luma in Q15 fixed point, rounded: l = (6966 r + 23436 g + 2366 b + 16384) >> 15.
// Alpha is kept. The weights sum to 32768, so white stays 255 and every gray stays itself.
export { tessera_abi, alloc } from "./lib/abi";

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

export function filter(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32,
): void {
  // (r, g, b, a) · (WR, WG, WB, 0) for two pixels per i16x8; dot sums adjacent pairs.
  const weights = i16x8(<i16>WR, <i16>WG, <i16>WB, 0, <i16>WR, <i16>WG, <i16>WB, 0);
  const round = i32x4.splat(16384);
  const alphaMask = i32x4.splat(0xff000000);
  const spread = i32x4.splat(0x00010101);
  const vecWidth = width & ~3;
  for (let y = 0; y < height; y++) {
    const s = src + <usize>(y * srcStride);
    const d = dst + <usize>(y * dstStride);
    let x = 0;
    for (; x < vecWidth; x += 4) {
      const off = <usize>(x << 2);
      const px = v128.load(s + off);
      const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(px), weights);
      const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(px), weights);
      // lo = [rg0, ba0, rg1, ba1], hi = [rg2, ba2, rg3, ba3]
      const rg = v128.shuffle<i32>(lo, hi, 0, 2, 4, 6);
      const ba = v128.shuffle<i32>(lo, hi, 1, 3, 5, 7);
      const luma = i32x4.shr_u(i32x4.add(i32x4.add(rg, ba), round), 15);
      const out = v128.or(i32x4.mul(luma, spread), v128.and(px, alphaMask));
      v128.store(d + off, out);
    }
    for (; x < width; x++) {
      const p = s + <usize>(x << 2);
      const l = (WR * <i32>load<u8>(p) + WG * <i32>load<u8>(p, 1) + WB * <i32>load<u8>(p, 2) + 16384) >> 15;
      store<u32>(d + <usize>(x << 2), (<u32>load<u8>(p, 3) << 24) | (<u32>l * 0x010101));
    }
  }
}
