/** Pixels in memory: a seeded PRNG, random RGBA images, byte-exact comparison. Pure: loads no native code. */

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random RGBA8 pixels; `opaque` forces alpha to 255. */
export function randomImage(width: number, height: number, next: () => number, opaque = false): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < out.length; i++) out[i] = (opaque && (i & 3) === 3) ? 255 : Math.floor(next() * 256);
  return out;
}

/** Undefined when equal, else a message naming the first differing pixel (RGBA8 rows of `width`). */
export function firstDifference(actual: Uint8Array, expected: Uint8Array, width: number): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      const p = i >> 2;
      return `pixel (${p % width}, ${Math.floor(p / width)}) channel ${i & 3}: got ${actual[i]}, expected ${expected[i]}`;
    }
  }
  return undefined;
}
