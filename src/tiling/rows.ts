/**
 * Moving a tile's rows between buffers that each have their own stride: an image and
 * linear memory, a frame, a file's pixels, a Redis value. Every strategy that copies
 * pixels does it through here.
 */

/** Rounds up to a multiple of 16 (rows and regions start 16-byte aligned for SIMD loads). */
export const align16 = (n: number): number => (n + 15) & ~15;

/** Byte offset of the top-left halo pixel of a tile whose first interior pixel is at `interiorOffset`. */
export function haloOrigin(interiorOffset: number, stride: number, halo: number): number {
  return interiorOffset - halo * stride - halo * 4;
}

/**
 * Copies `rows` rows of `rowBytes` bytes from `src` (rows `srcStride` apart from
 * `srcOffset`) to `dst` (rows `dstStride` apart from `dstOffset`); one copy when both
 * sides are packed.
 */
export function copyRows(
  src: Uint8Array, srcOffset: number, srcStride: number,
  dst: Uint8Array, dstOffset: number, dstStride: number,
  rowBytes: number, rows: number,
): void {
  if (srcStride === rowBytes && dstStride === rowBytes) {
    dst.set(src.subarray(srcOffset, srcOffset + rowBytes * rows), dstOffset);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const from = srcOffset + r * srcStride;
    dst.set(src.subarray(from, from + rowBytes), dstOffset + r * dstStride);
  }
}
