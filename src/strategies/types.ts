import type { FilterVariant } from '../filter/filter-module.js';

/**
 * How pixels reach the filter, from the reference's naive rung up:
 * `disk` (PNG files, a process per tile), `pipe` (frames through long-lived
 * processes), `copy` (raw bytes copied into a pooled instance), `shared` (zero-copy
 * shared memory).
 */
export type StrategyName = 'disk' | 'pipe' | 'copy' | 'shared';

/** Every strategy, in ladder order. */
export const STRATEGIES: readonly StrategyName[] = ['disk', 'pipe', 'copy', 'shared'];

/** The strategies that run in this process's threads (the others run in filter processes). */
export type ThreadStrategy = 'copy' | 'shared';

/** Every thread strategy, in ladder order. */
export const THREAD_STRATEGIES: readonly ThreadStrategy[] = ['copy', 'shared'];

/** `copy` isolation: one instance per worker, or a fresh instance (a fresh sandbox) per tile. */
export type Isolation = 'pooled' | 'instance';

/** Time spent on one tile, per stage, in milliseconds of the thread that ran it. */
export interface TileTimings {
  splitMs: number;
  filterMs: number;
  assembleMs: number;
}

/**
 * Everything a thread needs to build its tile runner. Structured-cloneable: it is the
 * worker pool's `workerData` (a `WebAssembly.Module` and a shared `WebAssembly.Memory`
 * clone across threads without recompiling or copying).
 */
export interface RunnerInit {
  strategy: StrategyName;
  /** Filter name (or path) for error messages. */
  filterName: string;
  /** The compiled filter (the `shared` variant for `shared`, the plain one for `copy`). */
  variant: FilterVariant;
  /** The image memory of the `shared` strategy. */
  sharedMemory?: WebAssembly.Memory;
  /**
   * `shared` only: [initial pages, pages the host grew], shared by every thread, to tell
   * a filter's own growth of the shared memory from the host's.
   */
  sharedGrowth?: Int32Array;
  /** Path of the WASI command form (`pipe`, `disk`). */
  commandPath?: string;
  /** `copy` only. @defaultValue 'pooled' */
  isolation?: Isolation;
  /** Cap on the memory a filter may use, in pages: each private memory (`copy`), a filter's own growth of the shared memory (`shared`). */
  maxMemoryPages: number;
  /** i32 params p0..p3. */
  params: number[];
  halo: number;
}

/** Where one tile's pixels are and where its result goes. */
export interface TileTask {
  /** Tiles with the same group (one image) may be sent to a thread together; a failure fails its group only. */
  group?: number;
  width: number;
  height: number;
  /** Buffer holding the padded source (`copy`); absent for `shared`, which uses the shared memory. */
  src?: SharedArrayBuffer;
  /** Byte offset of the tile's first interior pixel in the padded source. */
  srcOffset: number;
  srcStride: number;
  /** Buffer receiving the output (`copy`); absent for `shared`. */
  dst?: SharedArrayBuffer;
  dstOffset: number;
  dstStride: number;
}

/** Runs tiles on the current thread. */
export interface TileRunner {
  run(task: TileTask): TileTimings;
}
