// sharpen — unsharp mask on RGB with a box blur, alpha kept:
// m = box mean of radius r (as box-blur), a = floor((amount·256 + 50) / 100) (amount in hundredths),
// out = clamp(p + ((a·(p - m) + 128) >> 8), 0, 255). halo = r.
export { tessera_abi, alloc } from "../lib/abi";
import { boxRun, boxScratchSize } from "../lib/box";

// @ts-ignore: decorator
@inline function radius(p1: i32): i32 {
  return p1 < 1 ? 1 : p1 > 8 ? 8 : p1;
}

/** Amount in hundredths (0..500) to Q8 (0..1280). */
// @ts-ignore: decorator
@inline function amountQ8(p0: i32): i32 {
  const a = p0 < 0 ? 0 : p0 > 500 ? 500 : p0;
  return (a * 256 + 50) / 100;
}

export function halo(p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return radius(p1);
}

export function scratch_size(width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return boxScratchSize(width, radius(p1));
}

export function filter(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32,
): void {
  boxRun(src, srcStride, dst, dstStride, width, height, scratch, radius(p1), amountQ8(p0));
}
