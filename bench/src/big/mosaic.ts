/**
 * The big case's input: one large square image, a mosaic of the synthetic Kodak-shaped
 * set's landscape images (768×512) laid edge to edge. It has photo-like detail at every
 * size — edges, textures, grain — where an upscale would be smooth and would flatter both
 * the filter and the PNG codec. Made once per side and seed, cached beside the synthetic
 * set: a 12000×12000 PNG takes ~20 s on 2 cores and ~290 MB of disk.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ENCODE_OPTIONS } from 'tessera/internal/io/encode';
import { sharp } from 'tessera/internal/io/sharp';
import { DATASET_CACHE, defaultBenchDataset } from '../dataset.js';
import { synthDatasetSpec } from '../dataset/synth.js';

/** Size of one piece of the mosaic: a landscape image of the synthetic set. */
export const MOSAIC_PIECE = { width: 768, height: 512 } as const;

/** One piece of the mosaic: which image, where it goes, and how much of it (edge pieces are cut). */
export interface MosaicPiece {
  /** Index into the images the mosaic is made of. */
  image: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Where each of `images` pictures goes in a `side`×`side` mosaic: a grid of 768×512 pieces
 * from the top left, the last column and row cut to fit. Pictures follow each other along a
 * row and shift by 5 from one row to the next, so no picture sits beside or above itself
 * (with the set's 18 landscape images; 5 and 18 are coprime).
 * @param side pixels per side, ≥ 1
 */
export function mosaicLayout(side: number, images: number): MosaicPiece[] {
  const { width, height } = MOSAIC_PIECE;
  const pieces: MosaicPiece[] = [];
  for (let row = 0; row * height < side; row++) {
    for (let col = 0; col * width < side; col++) {
      const left = col * width;
      const top = row * height;
      pieces.push({ image: (row * 5 + col) % images, left, top, width: Math.min(width, side - left), height: Math.min(height, side - top) });
    }
  }
  return pieces;
}

/** The cache file of the `side`×`side` mosaic of seed `seed`. */
export function mosaicPath(side: number, seed: number, cacheDir = DATASET_CACHE): string {
  return join(cacheDir, `big-mosaic-${side}px-seed${seed}.png`);
}

/** Options of {@link bigBenchImage}. */
export interface BigImageOptions {
  /** Seed of the synthetic set the pieces come from. @defaultValue 1 */
  seed?: number;
  /** Where the mosaic is cached. @defaultValue os.tmpdir()/tessera-datasets */
  cacheDir?: string;
  /** Called before a mosaic is generated (not when it comes from the cache). */
  onGenerate?: (file: string) => void;
}

/**
 * The `side`×`side` mosaic as an RGB PNG (tessera's `ENCODE_OPTIONS.png`), generated on
 * first use — the synthetic set too, if missing — and reused after (generation is
 * deterministic). Written under a temporary name and renamed, so an interrupted
 * generation never leaves a partial file in the cache.
 * @returns the PNG's path
 */
export async function bigBenchImage(side: number, options: BigImageOptions = {}): Promise<string> {
  const seed = options.seed ?? 1;
  const file = mosaicPath(side, seed, options.cacheDir);
  if (existsSync(file)) return file;
  options.onGenerate?.(file);
  const dir = await defaultBenchDataset(seed);
  const landscape = synthDatasetSpec()
    .filter((s) => s.width === MOSAIC_PIECE.width && s.height === MOSAIC_PIECE.height)
    .map((s) => join(dir, s.name));
  const overlays = await Promise.all(
    mosaicLayout(side, landscape.length).map(async (p) => {
      const whole = p.width === MOSAIC_PIECE.width && p.height === MOSAIC_PIECE.height;
      // sharp refuses an overlay that reaches past the canvas, so edge pieces are cut first (uncompressed: they are decoded again at once).
      const input = whole ? landscape[p.image] : await sharp(landscape[p.image]).extract({ left: 0, top: 0, width: p.width, height: p.height }).png({ compressionLevel: 0 }).toBuffer();
      return { input, left: p.left, top: p.top };
    }),
  );
  mkdirSync(options.cacheDir ?? DATASET_CACHE, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await sharp({ create: { width: side, height: side, channels: 3, background: '#000000' }, limitInputPixels: false })
      .composite(overlays)
      // Compositing adds an alpha channel; the set's pictures have none, and neither should the mosaic.
      .removeAlpha()
      .png(ENCODE_OPTIONS.png)
      .toFile(tmp);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return file;
}
