/**
 * Small helpers shared by the plain-TypeScript reference filters.
 *
 * The references mirror the WebAssembly filters' integer arithmetic exactly (see each
 * file's header), over a Uint8Array that stands in for linear memory: `src` and `dst`
 * are byte offsets into it, strides are in bytes, pixels are RGBA8.
 */
import type { AlphaMode } from '../filter/manifest.js';

/** A filter's TypeScript reference: the WASM exports' contract, over a byte array. */
export interface ReferenceFilter {
  /** Same as the WASM halo export. */
  halo(params: readonly number[]): number;
  /**
   * The filter manifest's alpha mode (a test checks they agree): with `premultiplied`,
   * `applyReference` premultiplies the padded source and unpremultiplies the output around
   * `filter`, as the host does. `filter` itself always works on the bytes it is given.
   * @defaultValue 'straight'
   */
  alpha?: AlphaMode;
  /**
   * Same contract as the WASM `filter` export, over a byte array standing in for linear
   * memory. params are the i32 values p0..p3 (missing = 0).
   */
  filter(
    mem: Uint8Array, src: number, srcStride: number, dst: number, dstStride: number,
    width: number, height: number, params: readonly number[],
  ): void;
}

/** The i32 param `i` as the WASM filter receives it (missing = 0). */
export function param(params: readonly number[], i: number): number {
  return (params[i] ?? 0) | 0;
}

/** `v` limited to [lo, hi]; the filters clamp params like this so a bad host value cannot widen the halo. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** BT.709 luma in Q15, rounded — the grayscale filter's formula, also used by sobel. */
export function luma(r: number, g: number, b: number): number {
  return (6966 * r + 23436 * g + 2366 * b + 16384) >> 15;
}
