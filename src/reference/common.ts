/**
 * Small helpers shared by the plain-TypeScript reference filters.
 *
 * The references mirror the WebAssembly filters' integer arithmetic exactly (see each
 * file's header), over a Uint8Array that stands in for linear memory: `src` and `dst`
 * are byte offsets into it, strides are in bytes, pixels are RGBA8.
 */

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
