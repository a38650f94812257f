// sobel — edge magnitude on BT.709 luma, written as gray, alpha kept. halo 1.
//   L = (6966 r + 23436 g + 2366 b + 16384) >> 15          (the grayscale filter's luma)
//   gx = (L[x+1,y-1] + 2L[x+1,y] + L[x+1,y+1]) - (L[x-1,y-1] + 2L[x-1,y] + L[x-1,y+1])
//   gy = (L[x-1,y+1] + 2L[x,y+1] + L[x+1,y+1]) - (L[x-1,y-1] + 2L[x,y-1] + L[x+1,y-1])
//   out = min(255, |gx| + |gy|)
// Luma rows (width + 2 wide) are computed once each into a ring of 3 rows in scratch.
export { tessera_abi, alloc } from "../lib/abi";

// @ts-ignore: decorator
@inline const WR: i32 = 6966;
// @ts-ignore: decorator
@inline const WG: i32 = 23436;
// @ts-ignore: decorator
@inline const WB: i32 = 2366;

// @ts-ignore: decorator
@inline function rowBytes(width: i32): i32 {
  return (width + 2 + 15) & ~15;
}

export function halo(p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 1;
}

export function scratch_size(width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 3 * rowBytes(width);
}

/** Luma of 4 pixels as i32x4 (see grayscale.ts for the (r, b) / (g, a) dot trick). */
// @ts-ignore: decorator
@inline function luma4(px: v128): v128 {
  const rb = v128.and(px, i32x4.splat(0x00ff00ff));
  const ga = i16x8.shr_u(px, 8);
  const sum = i32x4.add(
    i32x4.dot_i16x8_s(rb, i16x8(<i16>WR, <i16>WB, <i16>WR, <i16>WB, <i16>WR, <i16>WB, <i16>WR, <i16>WB)),
    i32x4.dot_i16x8_s(ga, i16x8(<i16>WG, 0, <i16>WG, 0, <i16>WG, 0, <i16>WG, 0)),
  );
  return i32x4.shr_u(i32x4.add(sum, i32x4.splat(16384)), 15);
}

/** Luma of n pixels starting at s, one byte each, into out. */
function lumaRow(s: usize, out: usize, n: i32): void {
  let x = 0;
  for (; x + 16 <= n; x += 16) {
    const p = s + <usize>(x << 2);
    const a = i16x8.narrow_i32x4_u(luma4(v128.load(p)), luma4(v128.load(p, 16)));
    const b = i16x8.narrow_i32x4_u(luma4(v128.load(p, 32)), luma4(v128.load(p, 48)));
    v128.store(out + <usize>x, i8x16.narrow_i16x8_u(a, b));
  }
  for (; x < n; x++) {
    const p = s + <usize>(x << 2);
    store<u8>(out + <usize>x, <u8>((WR * <i32>load<u8>(p) + WG * <i32>load<u8>(p, 1) + WB * <i32>load<u8>(p, 2) + 16384) >> 15));
  }
}

export function filter(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32,
): void {
  if (width <= 0 || height <= 0) return;
  const rb = <usize>rowBytes(width);
  const n = width + 2;
  // Luma row j (-1..height) lives in slot (j + 1) % 3; index 0 of a row is column -1.
  lumaRow(src - <usize>srcStride - 4, scratch, n);
  lumaRow(src - 4, scratch + rb, n);
  const cap = i16x8.splat(255);
  const spread = i32x4.splat(0x010101);
  const alpha = i32x4.splat(0xff000000);
  for (let y = 0; y < height; y++) {
    const top = scratch + <usize>(y % 3) * rb;
    const mid = scratch + <usize>((y + 1) % 3) * rb;
    const bot = scratch + <usize>((y + 2) % 3) * rb;
    const s = src + <usize>(y * srcStride);
    const d = dst + <usize>(y * dstStride);
    lumaRow(s + <usize>srcStride - 4, bot, n);
    let x = 0;
    for (; x + 8 <= width; x += 8) {
      const xo = <usize>x;
      const a0 = v128.load8x8_u(top + xo), a1 = v128.load8x8_u(top + xo, 1), a2 = v128.load8x8_u(top + xo, 2);
      const b0 = v128.load8x8_u(mid + xo), b2 = v128.load8x8_u(mid + xo, 2);
      const c0 = v128.load8x8_u(bot + xo), c1 = v128.load8x8_u(bot + xo, 1), c2 = v128.load8x8_u(bot + xo, 2);
      const gx = i16x8.sub(i16x8.add(i16x8.add(a2, c2), i16x8.shl(b2, 1)), i16x8.add(i16x8.add(a0, c0), i16x8.shl(b0, 1)));
      const gy = i16x8.sub(i16x8.add(i16x8.add(c0, c2), i16x8.shl(c1, 1)), i16x8.add(i16x8.add(a0, a2), i16x8.shl(a1, 1)));
      const mag = i16x8.min_s(i16x8.add(i16x8.abs(gx), i16x8.abs(gy)), cap);
      const o = <usize>(x << 2);
      const p0v = v128.load(s + o);
      const p1v = v128.load(s + o, 16);
      v128.store(d + o, v128.or(i32x4.mul(i32x4.extend_low_i16x8_u(mag), spread), v128.and(p0v, alpha)));
      v128.store(d + o, v128.or(i32x4.mul(i32x4.extend_high_i16x8_u(mag), spread), v128.and(p1v, alpha)), 16);
    }
    for (; x < width; x++) {
      const xo = <usize>x;
      const a0 = <i32>load<u8>(top + xo), a1 = <i32>load<u8>(top + xo, 1), a2 = <i32>load<u8>(top + xo, 2);
      const b0 = <i32>load<u8>(mid + xo), b2 = <i32>load<u8>(mid + xo, 2);
      const c0 = <i32>load<u8>(bot + xo), c1 = <i32>load<u8>(bot + xo, 1), c2 = <i32>load<u8>(bot + xo, 2);
      const gx = (a2 + 2 * b2 + c2) - (a0 + 2 * b0 + c0);
      const gy = (c0 + 2 * c1 + c2) - (a0 + 2 * a1 + a2);
      const m = min(abs(gx) + abs(gy), 255);
      const o = <usize>(x << 2);
      store<u32>(d + o, (load<u32>(s + o) & 0xff000000) | (<u32>m * 0x010101));
    }
  }
}
