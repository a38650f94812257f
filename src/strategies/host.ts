import { writePadded, type PaddedLayout } from '../tiling/padded-image.js';
import type { Tile } from '../tiling/plan.js';
import type { RunnerInit, StrategyName, TileTask } from './types.js';

/**
 * One image (or one band of one) placed where a strategy's threads can reach it, in
 * buffers of its own: no other image's pixels are reachable from its tiles.
 */
export interface PreparedImage {
  layout: PaddedLayout;
  /** The padded source, to be filled by the caller before its tiles run (`layout.byteLength` bytes). */
  source: Uint8Array;
  /** Byte offset of the padded source in its buffer (its own memory for `shared`). */
  srcBase: number;
  /** Byte offset of the tightly packed RGBA output in its buffer. */
  dstBase: number;
  src?: SharedArrayBuffer;
  dst?: SharedArrayBuffer;
  /** `shared`: the image's own memory, its id, where its scratch slots start, and its size in pages. */
  memory?: WebAssembly.Memory;
  region?: number;
  scratchBase?: number;
  hostPages?: number;
}

/** The main-thread half of a strategy: places images, describes tiles, hands back results. */
export interface StrategyHost {
  readonly name: StrategyName;
  /** What every thread needs to build its runner (the pool's workerData). */
  runnerInit(): RunnerInit;
  /**
   * Allocates an image's buffers for `layout`; the caller fills `source` (the split
   * stage's one copy). With `reuse` — an earlier band of the same image, released by
   * nobody yet — its buffers are taken over when they are big enough: the next band of
   * an image needs no fresh memory (and no page faults), and is still in memory no
   * other image has had.
   */
  prepare(layout: PaddedLayout, reuse?: PreparedImage): PreparedImage;
  /** The message that makes a runner compute `tile` of `image`. */
  task(image: PreparedImage, tile: Tile): TileTask;
  /** The finished RGBA pixels, tightly packed; valid until `release`. */
  output(image: PreparedImage): Uint8Array;
  /**
   * Gives the image's buffers back. No other image ever sees their contents; with
   * `failed` (a tile failed: a stopped thread may still write into them) they are dropped.
   */
  release(image: PreparedImage, failed?: boolean): void;
  close(): Promise<void>;
}

/** Prepares an image from tightly packed RGBA (a whole decoded image). */
export function prepareFrom(host: StrategyHost, rgba: Uint8Array, layout: PaddedLayout): PreparedImage {
  const image = host.prepare(layout);
  writePadded(rgba, layout, image.source, 0);
  return image;
}
