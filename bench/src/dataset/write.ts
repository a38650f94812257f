/** Writes the set to disk as PNG files (sharp), each atomically, rendering while encoding. */

import { mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { sharp } from 'tessera/internal/io/sharp';
import { renderImage } from './render.js';
import { Pool } from './scratch.js';
import { KODAK_COUNT, synthDatasetSpec } from './spec.js';

/** Options of {@link generateSynthDataset}. */
export interface SynthOptions {
  /** Directory the PNG files are written to (created if missing). */
  outDir: string;
  /** Number of images (default 24, the size of the Kodak set). */
  count?: number;
  /** Seed of the set (an integer, taken modulo 2^32; default 1); the same seed gives the same files. */
  seed?: number;
  /** Called after each image has been written, in index order. */
  onImage?: (file: string, index: number, count: number) => void;
}

/** Distinguishes temporary files of concurrent writes from one process. */
let tmpCounter = 0;

/** Encodes and writes one PNG atomically (temporary name, then rename). */
async function writePng(file: string, pixels: Uint8Array, width: number, height: number): Promise<void> {
  const tmp = `${file}.${process.pid}-${++tmpCounter}.tmp`;
  try {
    await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toFile(tmp);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * Writes the set as 8-bit RGB PNG files (sharp, default PNG settings) into
 * `outDir`, which is created if missing, and returns the file paths in index
 * order. Deterministic: the same count and seed give byte-identical files. Each
 * file is written under a temporary name and renamed into place, so an
 * interrupted run never leaves a partial PNG. Rendering of the next image
 * overlaps with encoding of the previous ones.
 * @param options output directory, count (default 24), seed (default 1), progress callback
 */
export async function generateSynthDataset(options: SynthOptions): Promise<string[]> {
  const count = options.count ?? KODAK_COUNT;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const specs = synthDatasetSpec(count);
  await mkdir(options.outDir, { recursive: true });
  const files = specs.map((s) => path.join(options.outDir, s.name));
  const maxInFlight = 3;
  const pending: Promise<void>[] = [];
  const pool = new Pool();
  let done = 0;
  const settleOldest = async (): Promise<void> => {
    await pending.shift();
    options.onImage?.(files[done], done, count);
    done++;
  };
  try {
    for (let i = 0; i < count; i++) {
      const spec = specs[i];
      const pixels = renderImage(spec, i, seed, pool);
      const job = writePng(files[i], pixels, spec.width, spec.height);
      job.catch(() => undefined); // observed below; avoid unhandled-rejection noise meanwhile
      pending.push(job);
      if (pending.length >= maxInFlight) await settleOldest();
    }
    while (pending.length > 0) await settleOldest();
  } catch (err) {
    await Promise.allSettled(pending);
    throw err;
  }
  return files;
}
