/** Renders image i of the set: picks its scene, paints it, and finishes it to 8-bit RGB. */

import { Canvas } from './canvas.js';
import { finish } from './finish.js';
import { hash32, Rng } from './random.js';
import { sceneFlowers } from './scenes/flowers.js';
import { sceneLandscape } from './scenes/landscape.js';
import { sceneSeascape } from './scenes/seascape.js';
import { sceneStillLife } from './scenes/still-life.js';
import { sceneTown } from './scenes/town.js';
import { withPool, type Pool } from './scratch.js';
import type { SynthImageSpec } from './spec.js';

/** The scene families; images take them in rotation, so any five in a row hold one of each. */
const SCENES = [sceneLandscape, sceneTown, sceneStillLife, sceneSeascape, sceneFlowers];

/**
 * Renders image `index` of the set as 8-bit RGB pixels (width·height·3 bytes,
 * row-major, no padding). Pure and deterministic for (spec size, index, seed): the
 * scene kind rotates with the index (offset by the seed) and everything else —
 * composition, colours, textures, grain — comes from a PRNG seeded by (index, seed).
 * @param spec size of the image (usually an entry of {@link synthDatasetSpec})
 * @param index position of the image in the set (0-based)
 * @param seed seed of the set (an integer)
 */
export function renderSynthImage(spec: SynthImageSpec, index: number, seed: number): Uint8Array {
  return renderImage(spec, index, seed, undefined);
}

/** {@link renderSynthImage}, reusing scratch memory from `pool` when given. */
export function renderImage(spec: SynthImageSpec, index: number, seed: number, pool: Pool | undefined): Uint8Array {
  const { width: W, height: H } = spec;
  if (!Number.isInteger(W) || !Number.isInteger(H) || W < 1 || H < 1) {
    throw new RangeError(`invalid image size ${W}x${H}`);
  }
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`index must be a non-negative integer, got ${index}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const s = seed >>> 0;
  const rng = new Rng(s, index);
  return withPool(pool, () => {
    const c = new Canvas(W, H);
    const scene = SCENES[(index + (hash32(s) % SCENES.length)) % SCENES.length];
    scene(c, rng);
    return finish(c, hash32(s ^ hash32(index + 0x5bd1e995)), rng);
  });
}
