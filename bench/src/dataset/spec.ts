/** Names and sizes of the set: Kodak's 24 images, 3:1 landscape to portrait. */

/** Name and size of one image of the set. */
export interface SynthImageSpec {
  /** File name, e.g. `kodim01.png`. */
  name: string;
  width: number;
  height: number;
}

/** Positions (0-based) of the portrait images among Kodak's 24. */
const KODAK_PORTRAIT = new Set([3, 8, 9, 17, 18, 19]);
export const KODAK_COUNT = 24;
const LONG_SIDE = 768;
const SHORT_SIDE = 512;

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`count must be a positive integer, got ${count}`);
  }
}

function isPortrait(index: number, count: number): boolean {
  const block = Math.floor(index / KODAK_COUNT);
  const fullBlocks = Math.floor(count / KODAK_COUNT);
  const pos = index - block * KODAK_COUNT;
  if (block < fullBlocks) return KODAK_PORTRAIT.has(pos);
  // Trailing partial block of r images: about one in four portrait, spread evenly.
  const r = count - fullBlocks * KODAK_COUNT;
  const portraits = Math.floor((r + 1) / 4);
  for (let k = 0; k < portraits; k++) {
    if (Math.floor(((k + 0.5) * r) / portraits) === pos) return true;
  }
  return false;
}

/**
 * The names and sizes the set will have: `kodim01.png` … `kodimNN.png` (more digits
 * past 99 images), 768×512 landscape or 512×768 portrait. With 24 images the
 * portrait ones sit where Kodak's do (indices 3, 8, 9, 17, 18, 19, 0-based); other
 * counts repeat that pattern per block of 24 and keep the same 3:1
 * landscape:portrait mix in a trailing partial block.
 * @param count number of images (positive integer, default 24)
 */
export function synthDatasetSpec(count = KODAK_COUNT): SynthImageSpec[] {
  checkCount(count);
  const digits = Math.max(2, String(count).length);
  const specs: SynthImageSpec[] = [];
  for (let i = 0; i < count; i++) {
    const portrait = isPortrait(i, count);
    specs.push({
      name: `kodim${String(i + 1).padStart(digits, '0')}.png`,
      width: portrait ? SHORT_SIDE : LONG_SIDE,
      height: portrait ? LONG_SIDE : SHORT_SIDE,
    });
  }
  return specs;
}
