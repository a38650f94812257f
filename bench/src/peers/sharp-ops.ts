/**
 * What sharp is asked to do for each bench filter, in one place for the in-process sharp
 * peer (`sharp.ts`, which documents the choices) and the whole-process sharp script
 * (`process/sharp-run.ts`). Only sharp's types are imported, so the script loads sharp
 * and nothing else, as a user's script would.
 */
import type SharpDefault from 'sharp';

export type SharpInstance = ReturnType<typeof SharpDefault>;

/** The filters sharp does for the bench. */
export type SharpFilterName = 'grayscale' | 'gaussian-blur';

/** sharp's accepted blur sigma range. */
export const SHARP_SIGMA = { min: 0.3, max: 1000 } as const;

/** Whether sharp's blur accepts `sigma`. */
export function sharpAcceptsSigma(sigma: number): boolean {
  return Number.isFinite(sigma) && sigma >= SHARP_SIGMA.min && sigma <= SHARP_SIGMA.max;
}

/** grayscale → `greyscale().toColourspace('b-w')` (1-channel output); gaussian-blur → `blur(sigma)` (layout kept). */
export function applySharpFilter(img: SharpInstance, filter: SharpFilterName, sigma: number): SharpInstance {
  return filter === 'grayscale' ? img.greyscale().toColourspace('b-w') : img.blur(sigma);
}
