/**
 * Premultiplied alpha, in plain loops: the definition the host's SIMD passes
 * (`assembly/host/premultiply.ts`) are checked against, and what `applyReference` runs
 * around a filter whose manifest says `"alpha": "premultiplied"`.
 *
 * Rounding (integers, exact; no ties in premultiply since 255 is odd):
 * - premultiply:   c' = round(c·a / 255) = ⌊(c·a + 127) / 255⌋
 * - unpremultiply: c  = 0 when a = 0, else min(255, ⌊(c'·255 + ⌊a/2⌋) / a⌋) (half up)
 *
 * Alpha itself is never changed, so a fully transparent pixel comes out 0, 0, 0, 0 (as in
 * libvips, whose unpremultiply zeroes the colour where alpha is 0). Both are the identity
 * on a pixel of alpha 255: an opaque image goes through unchanged, and skipping either pass
 * where every pixel it would see is opaque changes nothing.
 */

/** c' = round(c·a / 255) for one channel. */
export function premultiplyChannel(c: number, a: number): number {
  return Math.floor((c * a + 127) / 255);
}

/** c = round(c'·255 / a), 0 for a = 0, at most 255 (a filter's output may have a colour above its alpha). */
export function unpremultiplyChannel(c: number, a: number): number {
  return a === 0 ? 0 : Math.min(255, Math.floor((c * 255 + (a >> 1)) / a));
}

/**
 * Premultiplies `rows` rows of `width` RGBA8 pixels in place, `stride` bytes apart from byte `offset`.
 * @returns whether any pixel had alpha below 255 (false: nothing changed)
 */
export function premultiplyRows(mem: Uint8Array, offset: number, width: number, rows: number, stride: number): boolean {
  return mapColours(mem, offset, width, rows, stride, premultiplyChannel);
}

/**
 * Unpremultiplies `rows` rows of `width` RGBA8 pixels in place, `stride` bytes apart from byte `offset`.
 * @returns whether any pixel had alpha below 255 (false: nothing changed)
 */
export function unpremultiplyRows(mem: Uint8Array, offset: number, width: number, rows: number, stride: number): boolean {
  return mapColours(mem, offset, width, rows, stride, unpremultiplyChannel);
}

function mapColours(mem: Uint8Array, offset: number, width: number, rows: number, stride: number, f: (c: number, a: number) => number): boolean {
  let seen = false;
  for (let y = 0; y < rows; y++) {
    const end = offset + y * stride + width * 4;
    for (let p = offset + y * stride; p < end; p += 4) {
      const a = mem[p + 3];
      if (a === 255) continue;
      seen = true;
      mem[p] = f(mem[p], a);
      mem[p + 1] = f(mem[p + 1], a);
      mem[p + 2] = f(mem[p + 2], a);
    }
  }
  return seen;
}
