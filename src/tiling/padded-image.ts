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
 * Copies tightly packed RGBA8 pixels into `target` at byte offset `base` with the
 * padded layout, replicating border pixels into the halo.
 * @param rgba width·height·4 bytes, rows packed
 * @param target the buffer to fill (a view over linear memory or a SharedArrayBuffer)
 * @param base byte offset of the padded buffer inside `target`; must be a multiple of 4
 */
export function writePadded(rgba: Uint8Array, layout: PaddedLayout, target: Uint8Array, base: number): void {
  const { width, height, halo, stride } = layout;
  const rowBytes = width * 4;
  if (rgba.length < rowBytes * height) throw new RangeError(`expected ${rowBytes * height} bytes of RGBA, got ${rgba.length}`);
  if ((target.byteOffset + base) % 4 !== 0) throw new RangeError('padded buffer must be 4-byte aligned');
  if (halo === 0 && stride === rowBytes) {
    // Rows are contiguous on both sides: one copy.
    target.set(rgba.subarray(0, rowBytes * height), base);
    return;
  }
  const words = new Uint32Array(target.buffer, target.byteOffset + base, layout.byteLength / 4);
  const src32 = rgba.byteOffset % 4 === 0 ? new Uint32Array(rgba.buffer, rgba.byteOffset, width * height) : undefined;
  const strideWords = stride / 4;
  for (let y = 0; y < height; y++) {
    const rowStart = base + (y + halo) * stride + halo * 4;
    target.set(rgba.subarray(y * rowBytes, (y + 1) * rowBytes), rowStart);
    if (halo > 0) {
      const w = (y + halo) * strideWords;
      const first = src32 ? src32[y * width] : new DataView(rgba.buffer, rgba.byteOffset + y * rowBytes, 4).getUint32(0, true);
      const last = src32
        ? src32[y * width + width - 1]
        : new DataView(rgba.buffer, rgba.byteOffset + y * rowBytes + (width - 1) * 4, 4).getUint32(0, true);
      words.fill(first, w, w + halo);
      words.fill(last, w + halo + width, w + 2 * halo + width);
    }
  }
  const paddedRowBytes = (width + 2 * halo) * 4;
  for (let i = 0; i < halo; i++) {
    target.copyWithin(base + i * stride, base + halo * stride, base + halo * stride + paddedRowBytes);
    const below = base + (halo + height + i) * stride;
    const lastRow = base + (halo + height - 1) * stride;
    target.copyWithin(below, lastRow, lastRow + paddedRowBytes);
  }
}
