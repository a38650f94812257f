import type { PaddedLayout } from '../tiling/padded-image.js';
import type { Tile } from '../tiling/plan.js';
import type { RunnerInit, StrategyName, TileTask } from './types.js';

/** One image placed where a strategy's threads can reach it. */
export interface PreparedImage {
  layout: PaddedLayout;
  /** Byte offset of the padded source in its buffer (the shared memory for `shared`). */
  srcBase: number;
  /** Byte offset of the tightly packed RGBA output in its buffer. */
  dstBase: number;
  src?: SharedArrayBuffer;
  dst?: SharedArrayBuffer;
}

/** The main-thread half of a strategy: places images, describes tiles, hands back results. */
export interface StrategyHost {
  readonly name: StrategyName;
  /** What every thread needs to build its runner (the pool's workerData). */
  runnerInit(): RunnerInit;
  /** Copies decoded RGBA into the strategy's source layout (the split stage's one copy). */
  prepare(rgba: Uint8Array, layout: PaddedLayout): PreparedImage;
  /** The message that makes a runner compute `tile` of `image`. */
  task(image: PreparedImage, tile: Tile): TileTask;
  /** The finished RGBA pixels, tightly packed; valid until `release`. */
  output(image: PreparedImage): Uint8Array;
  /** Returns the image's buffers for reuse. */
  release(image: PreparedImage): void;
  close(): Promise<void>;
}
