/**
 * What every benchmark peer shares: the peer interface, the like-for-like settings and
 * small helpers (bounded concurrency, output paths, errors).
 *
 * Like-for-like rules every peer follows as far as its library lets it (each peer's file
 * says where it cannot):
 * - PNG out with zlib level 6 and no adaptive filtering (every row filter "none") —
 *   tessera's own `ENCODE_OPTIONS.png` from `src/io/encode.ts`;
 * - grayscale writes a 1-channel gray PNG (gray + alpha if the input had alpha);
 *   gaussian-blur keeps the input's channel layout (RGB in → RGB out);
 * - the output file has the input's file name, in `outDir`;
 * - no worker threads are spawned for a peer: a peer scales only through its own
 *   threading (libvips' thread pool) or by having several images in flight.
 */
import { basename, join } from 'node:path';
import { ENCODE_OPTIONS } from 'tessera/internal/io/encode';
import { forEachLimit } from '../limit.js';

export { forEachLimit };

/** The peers tessera is measured against. */
export type PeerName = 'sharp' | 'wasm-vips' | 'photon' | 'jimp' | 'js' | 'extism';

/** A filter every peer can be asked for. `sigma` (gaussian-blur only) defaults to {@link DEFAULT_SIGMA}. */
export interface PeerFilter {
  name: 'grayscale' | 'gaussian-blur';
  sigma?: number;
}

/** An already-decoded image for the filter-stage measurement: RGBA8, rows packed. */
export interface RawImage {
  rgba: Uint8Array;
  width: number;
  height: number;
}

/** The result of {@link Peer.runFiles}. */
export interface FileRunResult {
  /** Wall time of the whole batch, ms. */
  wallMs: number;
  /** Per image, in `files` order: ms from starting that image to its file being written (overlapping when images run concurrently). */
  perImageMs?: number[];
}

/** The result of {@link Peer.runPixels}. */
export interface PixelRunResult {
  /** Wall time of the whole batch, ms (copies into and out of the library included). */
  wallMs: number;
  /** One output per input, in the peer's own layout (see each peer); for determinism checks. */
  outputs: Uint8Array[];
}

/** One library (or tessera's plain TypeScript) measured on the same images as tessera. */
export interface Peer {
  readonly name: PeerName;
  /** What it is and how it was configured — one sentence for the report. */
  readonly description: string;
  /**
   * The peer runs tessera's own filter arithmetic, so its outputs must equal tessera's
   * TypeScript reference bit for bit: the bench checks them against the reference instead
   * of only against the peer's own first run.
   */
  readonly matchesReference?: boolean;
  supports(filter: PeerFilter): boolean;
  /** One-time setup (load/instantiate); returns its duration in ms (the peer's cold start). */
  init(): Promise<number>;
  /** Threads the peer really uses for `workers` requested. */
  effectiveWorkers(workers: number): number;
  /** End to end: every file → filter → PNG in outDir (same file name). Returns per-image ms and total wall ms. */
  runFiles(files: string[], outDir: string, filter: PeerFilter, workers: number): Promise<FileRunResult>;
  /** Filter stage alone on decoded RGBA8 images (undefined if the peer can't take raw pixels). Returns wall ms and the outputs (any layout; used for determinism checks). */
  runPixels?(images: RawImage[], filter: PeerFilter, workers: number): Promise<PixelRunResult>;
  close(): Promise<void>;
}

/** gaussian-blur's sigma when a {@link PeerFilter} gives none (tessera's manifest default). */
export const DEFAULT_SIGMA = 2;

/** zlib level every peer's PNG encoder is set to (tessera's `ENCODE_OPTIONS.png.compressionLevel`). */
export const PNG_COMPRESSION_LEVEL: number = ENCODE_OPTIONS.png.compressionLevel;

/** The sigma a filter asks for. */
export function sigmaOf(filter: PeerFilter): number {
  return filter.sigma ?? DEFAULT_SIGMA;
}

/** Where a peer writes the output of `file`: same file name, in `outDir`. */
export function outputPath(outDir: string, file: string): string {
  return join(outDir, basename(file));
}

/** `workers` checked: a positive integer. */
export function checkWorkers(peer: PeerName, workers: number): number {
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`${peer}: workers must be a positive integer, got ${workers}`);
  return workers;
}

/** An Error whose message starts with the peer's name, as the bench reports it. */
export function peerError(peer: PeerName, message: string, cause?: unknown): Error {
  return new Error(`${peer}: ${message}`, cause === undefined ? undefined : { cause });
}

/** The error for a filter the peer does not support (`supports` said false) or a call before `init`. */
export function unsupported(peer: PeerName, filter: PeerFilter): Error {
  const what = filter.name === 'gaussian-blur' ? `gaussian-blur with sigma ${sigmaOf(filter)}` : filter.name;
  return peerError(peer, `does not support ${what}`);
}

/** Milliseconds since an arbitrary origin (performance.now). */
export const now = (): number => performance.now();

/**
 * Times a batch: runs `work(i)` for every index with at most `limit` in flight and returns
 * the wall time and each item's own duration.
 */
export async function timeBatch(count: number, limit: number, work: (index: number) => Promise<void>): Promise<{ wallMs: number; perItemMs: number[] }> {
  const perItemMs = new Array<number>(count).fill(0);
  const start = now();
  await forEachLimit(
    Array.from({ length: count }, (_, i) => i),
    limit,
    async (i) => {
      const t = now();
      await work(i);
      perItemMs[i] = now() - t;
    },
  );
  return { wallMs: now() - start, perItemMs };
}

/** PNG colour types (IHDR byte 25). */
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Whether a PNG file's header declares an alpha channel (colour type 4 or 6, or a tRNS
 * chunk before the image data). `undefined` when `bytes` is not a PNG.
 */
export function pngHasAlpha(bytes: Uint8Array): boolean | undefined {
  if (bytes.length < 33 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return undefined;
  const colourType = bytes[25];
  if (colourType === 4 || colourType === 6) return true;
  // Walk the chunks up to the first IDAT looking for tRNS.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 8;
  while (off + 8 <= bytes.length) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(bytes[off + 4], bytes[off + 5], bytes[off + 6], bytes[off + 7]);
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') break;
    off += 12 + len;
  }
  return false;
}
