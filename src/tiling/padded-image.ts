/**
 * The layout every strategy filters from: the decoded RGBA8 image copied once into a
 * buffer with `halo` extra pixels on every side, filled by replicating the border
 * (clamp-to-edge). Every tile plus its halo is then a plain sub-rectangle, so border
 * tiles need no special case and a filter never reads memory outside the image.
 */
export interface PaddedLayout {
  width: number;
  height: number;
  halo: number;
  /** Bytes per padded row: (width + 2·halo)·4 rounded up to 16 so rows start aligned. */
  stride: number;
  /** Total bytes of the padded buffer. */
  byteLength: number;
  /** Byte offset (within the padded buffer) of interior pixel (0, 0). */
  origin: number;
}

/** Computes the padded layout of a width×height image for a filter with the given halo. */
export function paddedLayout(width: number, height: number, halo: number): PaddedLayout {
  const stride = Math.ceil(((width + 2 * halo) * 4) / 16) * 16;
  return { width, height, halo, stride, byteLength: stride * (height + 2 * halo), origin: halo * stride + halo * 4 };
}

/** Byte offset (within the padded buffer) of interior pixel (x, y). */
export function pixelOffset(layout: PaddedLayout, x: number, y: number): number {
  return layout.origin + y * layout.stride + x * 4;
}

/**
 * Copies `count` tightly packed RGBA8 rows into the interior of padded rows `at`..`at+count-1`
 * (halo columns untouched; {@link completePadding} fills them).
 */
export function writeInteriorRows(rows: Uint8Array, layout: PaddedLayout, target: Uint8Array, base: number, at: number, count: number): void {
  const rowBytes = layout.width * 4;
  if (rows.length < rowBytes * count) throw new RangeError(`expected ${rowBytes * count} bytes of RGBA, got ${rows.length}`);
  const first = base + at * layout.stride + layout.halo * 4;
  if (layout.stride === rowBytes) {
    target.set(rows.subarray(0, rowBytes * count), first);
    return;
  }
  for (let y = 0; y < count; y++) target.set(rows.subarray(y * rowBytes, (y + 1) * rowBytes), first + y * layout.stride);
}

/**
 * Completes a padded buffer whose padded rows `first`..`first+count-1` hold interior
 * pixels: replicates each of those rows' edge pixels into its left and right halo, then
 * row `first` into every row above it and the last row into every row below it
 * (clamp-to-edge). A band's rows above and below that are real image rows are written
 * by the caller and included in `first`..`first+count-1`.
 * @param base byte offset of the padded buffer inside `target`; must be a multiple of 4
 */
export function completePadding(layout: PaddedLayout, target: Uint8Array, base: number, first: number, count: number): void {
  const { width, halo, stride } = layout;
  if (halo === 0) return;
  if ((target.byteOffset + base) % 4 !== 0) throw new RangeError('padded buffer must be 4-byte aligned');
  const words = new Uint32Array(target.buffer, target.byteOffset + base, layout.byteLength / 4);
  const strideWords = stride / 4;
  for (let r = first; r < first + count; r++) {
    const w = r * strideWords;
    words.fill(words[w + halo], w, w + halo);
    words.fill(words[w + halo + width - 1], w + halo + width, w + 2 * halo + width);
  }
  const paddedRowBytes = (width + 2 * halo) * 4;
  const top = base + first * stride;
  for (let r = 0; r < first; r++) target.copyWithin(base + r * stride, top, top + paddedRowBytes);
  const last = base + (first + count - 1) * stride;
  const rowsTotal = layout.byteLength / stride;
  for (let r = first + count; r < rowsTotal; r++) target.copyWithin(base + r * stride, last, last + paddedRowBytes);
}

/**
 * Copies tightly packed RGBA8 pixels into `target` at byte offset `base` with the
 * padded layout, replicating border pixels into the halo.
 * @param rgba width·height·4 bytes, rows packed
 * @param target the buffer to fill (a view over linear memory or a SharedArrayBuffer)
 * @param base byte offset of the padded buffer inside `target`; must be a multiple of 4
 */
export function writePadded(rgba: Uint8Array, layout: PaddedLayout, target: Uint8Array, base: number): void {
  if ((target.byteOffset + base) % 4 !== 0) throw new RangeError('padded buffer must be 4-byte aligned');
  writeInteriorRows(rgba, layout, target, base, layout.halo, layout.height);
  completePadding(layout, target, base, layout.halo, layout.height);
}
