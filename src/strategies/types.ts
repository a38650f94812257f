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
  /**
   * `shared` only: bytes of filter scratch one tile needs (`scratch_size` of a full
   * tile), and how many tiles of one image may run at once (threads, plus the calling
   * thread): each image's memory holds that many scratch slots.
   */
  scratchBytes?: number;
  lanes?: number;
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
  /** `shared`: the memory of the image (or band) this tile belongs to, which holds its source, output and scratch. */
  memory?: WebAssembly.Memory;
  /** `shared`: identifies that memory, so a thread instantiates the filter against it once, not per tile. */
  region?: number;
  /** `shared`: byte offset of the memory's scratch slots (one per lane, `RunnerInit.scratchBytes` each). */
  scratchBase?: number;
  /** `shared`: pages the host made the memory with. */
  hostPages?: number;
  /**
   * Where the thread that ran the tile also copies its result (thread strategies): the
   * caller's output, assembled by the threads in parallel instead of by the calling
   * thread after the band. Byte offset of the tile's first pixel, and the row stride.
   */
  out?: SharedArrayBuffer;
  outOffset?: number;
  outStride?: number;
}

/** Runs tiles on the current thread. */
export interface TileRunner {
  /**
   * Runs one tile.
   * @param lane which of the image's scratch slots this thread uses (`shared`): each
   * concurrently running thread has its own, 0 ≤ lane < `RunnerInit.lanes`
   */
  run(task: TileTask, lane?: number): TileTimings;
  /**
   * Optional: gets ready for `task`'s image (instantiates the filter against its memory),
   * so that a slow start function is not counted against the tiles' deadline.
   */
  bind?(task: TileTask): void;
}
