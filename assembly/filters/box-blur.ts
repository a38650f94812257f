// box-blur — mean of the (2r+1)² window on all 4 channels, rounded:
// out = floor((Σ window + floor(d/2)) / d), d = (2r+1)². halo = r.
// Separable and exact (see lib/box.ts): horizontal u16 sums, a sliding vertical i32 sum.
export { tessera_abi, alloc } from "../lib/abi";
import { boxRun, boxScratchSize } from "../lib/box";

/** The radius param, clamped to the manifest range so a bad host value cannot widen the halo. */
// @ts-ignore: decorator
@inline function radius(p0: i32): i32 {
  return p0 < 1 ? 1 : p0 > 32 ? 32 : p0;
}

export function halo(p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return radius(p0);
}

export function scratch_size(width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return boxScratchSize(width, radius(p0));
}

export function filter(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32,
): void {
  boxRun(src, srcStride, dst, dstStride, width, height, scratch, radius(p0), -1);
}
