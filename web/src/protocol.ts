/**
 * Messages between the page and its tile workers. Two strategies, as in `tessera run`:
 * `shared` hands every worker the image's shared memory and a tile counter, and workers
 * take tiles until none are left; `copy` hands each worker a copy of the padded source
 * once per image, then tiles one at a time, and gets each tile's output back.
 */
import type { ApiMemory } from '../../src/serve/api-types.js';
import type { TileGrid } from './tiles.js';

/** What every job of one image shares. */
export interface JobBase {
  /** Increases with every image run: a late answer about an abandoned job is ignored. */
  job: number;
  module: WebAssembly.Module;
  /** p0..p3, as i32. */
  params: number[];
  grid: TileGrid;
}

/** `shared`: run tiles of the image in `memory` until the counter passes the last. */
export interface SharedRun extends JobBase {
  type: 'shared';
  lane: number;
  memory: WebAssembly.Memory;
  srcBase: number;
  /** Offset of interior pixel (0, 0) inside the padded source, and its row stride. */
  origin: number;
  stride: number;
  dstBase: number;
  scratchBase: number;
  /** Lane `l`'s slot starts at scratchBase + l × slotBytes: its scratch (scratchBytes), then its shadow stack, if any. */
  scratchBytes: number;
  slotBytes: number;
  /** The filter has a shadow stack: point its `__stack_pointer` at the top of the lane's slot before each call. */
  laneStack: boolean;
  /** [next tile] — taken with Atomics.add; set past the end to stop every lane. */
  counter: Int32Array;
  /** Per lane: the tile it runs + 1 (0 when idle), for the page's deadline watch. */
  busy: Int32Array;
  /** Per lane: Date.now() when it started that tile. */
  since: Float64Array;
}

/** `copy`: a fresh private instance for this image, and the padded source to copy tiles from. */
export interface CopyBegin extends JobBase {
  type: 'copy-begin';
  memory: ApiMemory;
  maxMemoryPages: number;
  halo: number;
  source: ArrayBuffer;
  origin: number;
  stride: number;
}

/** `copy`: filter one tile of the current image. */
export interface CopyTile {
  type: 'copy-tile';
  job: number;
  index: number;
}

export type ToWorker = SharedRun | CopyBegin | CopyTile;

/** A lane of `shared` ran out of tiles. */
export interface SharedDone {
  type: 'shared-done';
  job: number;
  lane: number;
  tiles: number;
  /** Time inside `filter` calls, ms. */
  filterMs: number;
}

/** One tile of `copy`, filtered: its packed RGBA rows. */
export interface CopyTileDone {
  type: 'copy-tile-done';
  job: number;
  index: number;
  out: ArrayBuffer;
  filterMs: number;
}

/** A tile (or the instantiation before it, `index` of the first tile) failed. */
export interface Failed {
  type: 'failed';
  job: number;
  index: number;
  /** describeFilterFailure's words, decided in the worker where the trap happened. */
  reason: string;
}

export type FromWorker = SharedDone | CopyTileDone | Failed;
