/**
 * Plain-TypeScript references of the built-in filters: the correctness oracle for the
 * WebAssembly builds (bit-identical by construction: the same integer arithmetic) and
 * the "plain TypeScript" peer of the benchmark.
 */
import { boxBlur } from './box-blur.js';
import { brightnessContrast } from './brightness-contrast.js';
import { gaussianBlur } from './gaussian-blur.js';
import { grayscale } from './grayscale.js';
import { invert } from './invert.js';
import { sepia } from './sepia.js';
import { sharpen } from './sharpen.js';
import { sobel } from './sobel.js';

export interface ReferenceFilter {
  /** Same as the WASM halo export. */
  halo(params: readonly number[]): number;
  /**
   * Same contract as the WASM `filter` export, over a byte array standing in for linear
   * memory. params are the i32 values p0..p3 (missing = 0).
   */
  filter(
    mem: Uint8Array, src: number, srcStride: number, dst: number, dstStride: number,
    width: number, height: number, params: readonly number[],
  ): void;
}

/** Every built-in filter's reference, by filter name. */
export const referenceFilters: Readonly<Record<string, ReferenceFilter>> = Object.freeze({
  'box-blur': boxBlur,
  'brightness-contrast': brightnessContrast,
  'gaussian-blur': gaussianBlur,
  grayscale,
  invert,
  sepia,
  sharpen,
  sobel,
});

export { gaussianKernel, expNeg, type GaussianKernel } from './gaussian-blur.js';
