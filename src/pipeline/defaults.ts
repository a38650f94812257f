/**
 * Every default of a session, in one place that loads nothing else: the CLI's `--help`
 * shows them without importing sharp, the filters or the thread pool.
 */

/** Tile edge, in pixels: the reference pipeline's 256×256. */
export const DEFAULT_TILE_SIZE = 256;

/** Default `--max-pixels`: refuses decompression bombs before decoding (sharp's own default, 268 Mpx). */
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

/**
 * Images decoded, filtered or encoded at once. More than the thread count, because
 * libvips decodes and encodes on its own threads: on 2 cores, 8 in flight ran the
 * Kodak-shaped set ~20% faster than 3 (decodes of later images overlap encodes of
 * earlier ones). Memory grows with it: about 3 × width × height × 4 bytes per image.
 */
export const DEFAULT_IMAGES_IN_FLIGHT = 8;

/** Cap on a private filter memory (`copy`), in MiB. */
export const DEFAULT_FILTER_MEMORY_MB = 256;

/** Per-tile deadline, in milliseconds: generous for any real tile, short enough that a looping filter is stopped quickly. */
export const DEFAULT_TILE_TIMEOUT_MS = 10_000;
