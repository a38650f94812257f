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
import type { ReferenceFilter } from './common.js';

export type { ReferenceFilter } from './common.js';

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
