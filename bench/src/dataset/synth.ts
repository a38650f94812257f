/**
 * A deterministic, Kodak-shaped synthetic image set.
 *
 * tessera never downloads data, so benchmarks and tests run on a stand-in for the
 * Kodak Lossless True Color Image Suite: 24 RGB images, 18 landscape 768×512 and
 * 6 portrait 512×768 (9.44 Mpx in all). The pictures are procedural scenes —
 * landscapes, towns, still lifes, seascapes and flower close-ups — built from the
 * ingredients that make photographs behave the way they do under filters: smooth
 * gradients (sky, lit walls), hard and anti-aliased edges (horizons, buildings,
 * objects), multi-scale textures (foliage, wood, water, fabric), flat regions and
 * fine sensor grain. They compress about like photos do, not like noise.
 *
 * Everything is driven by a seeded PRNG and plain float arithmetic, so the same
 * (index, seed) gives the same pixels, and the same count + seed gives
 * byte-identical PNG files.
 *
 * This module is the set's public face, so importers need not know how it is
 * split: `spec` (names and sizes), `render` (one image), `write` (the files), and
 * beneath them random numbers, noise, canvas, shapes and the scenes in `scenes/`.
 */

export { generateSynthDataset, type SynthOptions } from './write.js';
export { renderSynthImage } from './render.js';
export { synthDatasetSpec, type SynthImageSpec } from './spec.js';
