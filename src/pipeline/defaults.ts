/**
 * Every default of a session, in one place that loads nothing else: the CLI's `--help`
 * shows them without importing sharp, the filters or the thread pool.
 */
import { totalmem } from 'node:os';

export { DEFAULT_TILE_SIZE } from '../tiling/plan.js';

/**
 * Default `--max-pixels`: 2³⁰ = 1,073,741,824 pixels (32768×32768). Images above the
 * stream threshold go through in bands, so memory no longer grows with the image: the
 * limit guards time and temporary disk (~8 bytes per pixel) against decompression
 * bombs, and is refused from the header, before decoding.
 */
export const DEFAULT_MAX_PIXELS = 2 ** 30;

/**
 * Images with more pixels than this are never whole in memory: they are decoded to a
 * temporary file, filtered band by band as the rows land and encoded from another
 * (2048×2048 is the largest that runs whole). Measured as whole processes on a 2-core
 * VM, gaussian σ=2: at 4 Mpx streaming ran as fast as whole (1.01×, 144 vs 153 MiB
 * peak), at 16 Mpx faster (0.91–0.94×, 165 vs 337 MiB) — decoding overlaps filtering.
 */
export const DEFAULT_STREAM_ABOVE_PIXELS = 2048 * 2048;

/** Bytes of one band of a streamed image, roughly (rows are a multiple of the tile size). */
export const BAND_TARGET_BYTES = 32 * 2 ** 20;

/** Bands of one image in flight: one being read, one filtered, one written out. */
export const BANDS_IN_FLIGHT = 3;

/**
 * Default `--memory`, in MiB: a quarter of the machine's memory, between 256 MiB and
 * 4 GiB — what the pixels decoded, filtered and waiting to be encoded may take at once.
 */
export function defaultMemoryMb(): number {
  return Math.round(Math.min(4096, Math.max(256, totalmem() / 4 / 2 ** 20)));
}

/**
 * Images decoded, filtered or encoded at once. More than the thread count, because
 * libvips decodes and encodes on its own threads: on 2 cores, 8 in flight ran the
 * Kodak-shaped set ~20% faster than 3 (decodes of later images overlap encodes of
 * earlier ones). Memory is bounded apart from it, by `--memory`.
 */
export const DEFAULT_IMAGES_IN_FLIGHT = 8;

/** Cap on a private filter memory (`copy`), in MiB. */
export const DEFAULT_FILTER_MEMORY_MB = 256;

/** Images a queue run keeps enqueued at once (each a job waiting for some worker): enough to keep a cluster busy, bounded so Redis holds a bounded number of inputs. */
export const QUEUE_IMAGES_IN_FLIGHT = 32;

/** Bytes of one band job's padded source, roughly: a few hundred ms of filtering per worker thread, a few ms through Redis. */
export const QUEUE_BAND_TARGET_BYTES = 16 * 2 ** 20;

/** Band jobs of one image in flight: enough to keep several workers' threads busy while the coordinator reads and writes. */
export const QUEUE_BANDS_IN_FLIGHT = 8;

/** Per-tile deadline, in milliseconds: generous for any real tile, short enough that a looping filter is stopped quickly. */
export const DEFAULT_TILE_TIMEOUT_MS = 10_000;
