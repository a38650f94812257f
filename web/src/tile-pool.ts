/**
 * The page's worker pool: one module worker per core (navigator.hardwareConcurrency),
 * started with the page and kept, as a tessera session keeps its threads. It runs one
 * image at a time under `shared` (every worker on the image's shared memory, tiles taken
 * from an atomic counter) or `copy` (tiles sent to workers, two in flight each), and
 * enforces tessera's per-tile deadline: a worker whose tile overruns is terminated and
 * replaced, and the image fails with the words `tessera run` uses.
 */
import { tileTimeoutError } from '../../src/executors/deadline.js';
import type { PaddedLayout } from '../../src/tiling/padded-image.js';
import type { ApiMemory } from '../../src/serve/api-types.js';
import type { FromWorker, ToWorker } from './protocol.js';
import type { SharedLayout } from './shared-layout.js';
import { tileAt, type Tile, type TileGrid } from './tiles.js';

/** A tile that failed: the tile and the filter's words. The page adds the file and filter names. */
export class TileFailure extends Error {
  override name = 'TileFailure';
  constructor(readonly tile: Tile, readonly reason: string) {
    super(reason);
  }
}

/** What every run needs. */
interface RunBase {
  module: WebAssembly.Module;
  params: number[];
  grid: TileGrid;
  tileTimeoutMs: number;
}

/** A `shared` run over the image in `memory`, laid out as `layout`. */
export interface SharedJob extends RunBase {
  memory: WebAssembly.Memory;
  layout: SharedLayout;
}

/** A `copy` run from a padded source in page memory. */
export interface CopyJob extends RunBase {
  memory: ApiMemory;
  maxMemoryPages: number;
  halo: number;
  padded: PaddedLayout;
  source: Uint8Array;
}

/** What a run did: tiles and the time spent inside `filter` calls, summed over workers. */
export interface PoolStats {
  tiles: number;
  busyMs: number;
}

/** How often the deadline watch looks at the lanes, ms. */
const WATCH_MS = 100;
/** Tiles sent ahead to each worker under `copy`, so it never waits for the next. */
const COPY_IN_FLIGHT = 2;

export class TilePool {
  private readonly workers: Worker[] = [];
  private job = 0;

  /** @param size workers to start (≥ 1) */
  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn(i));
  }

  private spawn(lane: number): Worker {
    return new Worker(new URL('./tile-worker.js', import.meta.url), { type: 'module', name: `tessera tile worker ${lane}` });
  }

  /** Stops worker `lane` (its tile overran) and starts a fresh one in its place. */
  private replace(lane: number): void {
    this.workers[lane].terminate();
    this.workers[lane] = this.spawn(lane);
  }

  /**
   * Runs every tile of the image in `job.memory` on every worker.
   * @throws TileFailure for the first tile that trapped, aborted or overran its deadline
   */
  runShared(job: SharedJob): Promise<PoolStats> {
    const id = ++this.job;
    const lanes = this.size;
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const busy = new Int32Array(new SharedArrayBuffer(4 * lanes));
    const since = new Float64Array(new SharedArrayBuffer(8 * lanes));
    const { layout } = job;
    return new Promise<PoolStats>((resolve, reject) => {
      let done = 0;
      const stats: PoolStats = { tiles: 0, busyMs: 0 };
      const listeners: Array<() => void> = [];
      const finish = (err?: Error) => {
        clearInterval(watch);
        for (const off of listeners) off();
        Atomics.store(counter, 0, job.grid.count);
        if (err) reject(err);
        else resolve(stats);
      };
      const watch = setInterval(() => {
        for (let lane = 0; lane < lanes; lane++) {
          const running = Atomics.load(busy, lane);
          if (running && Date.now() - since[lane] > job.tileTimeoutMs) {
            this.replace(lane);
            finish(new TileFailure(tileAt(job.grid, running - 1), tileTimeoutError(job.tileTimeoutMs, 'its worker thread was stopped and replaced').message));
            return;
          }
        }
      }, WATCH_MS);
      this.workers.forEach((worker, lane) => {
        const onMessage = ({ data }: MessageEvent<FromWorker>) => {
          if (data.job !== id) return;
          if (data.type === 'failed') finish(new TileFailure(tileAt(job.grid, data.index), data.reason));
          else if (data.type === 'shared-done') {
            stats.tiles += data.tiles;
            stats.busyMs += data.filterMs;
            if (++done === lanes) finish();
          }
        };
        const onError = (e: ErrorEvent) => finish(new Error(`tile worker ${lane} failed: ${e.message}`));
        worker.addEventListener('message', onMessage);
        worker.addEventListener('error', onError);
        listeners.push(() => {
          worker.removeEventListener('message', onMessage);
          worker.removeEventListener('error', onError);
        });
        const message: ToWorker = {
          type: 'shared', job: id, lane, module: job.module, params: job.params, grid: job.grid, memory: job.memory,
          srcBase: layout.srcBase, origin: layout.padded.origin, stride: layout.padded.stride, dstBase: layout.dstBase,
          scratchBase: layout.scratchBase, scratchBytes: layout.scratchBytes, slotBytes: layout.slotBytes,
          laneStack: layout.slotBytes > layout.scratchBytes, counter, busy, since,
        };
        worker.postMessage(message);
      });
    });
  }

  /**
   * Runs every tile under `copy`: each worker gets its own copy of the padded source,
   * then tiles; the outputs come back and are placed into one RGBA8 image.
   * @throws TileFailure for the first tile that trapped, aborted or overran its deadline
   */
  runCopy(job: CopyJob): Promise<{ output: Uint8Array; stats: PoolStats }> {
    const id = ++this.job;
    const { grid } = job;
    const output = new Uint8Array(grid.width * grid.height * 4);
    return new Promise((resolve, reject) => {
      let next = 0;
      let received = 0;
      const stats: PoolStats = { tiles: 0, busyMs: 0 };
      /** Per worker: tiles sent and not answered, and when the first of them started. */
      const queues = this.workers.map(() => ({ tiles: [] as number[], startedAt: 0 }));
      const listeners: Array<() => void> = [];
      const finish = (err?: Error) => {
        clearInterval(watch);
        for (const off of listeners) off();
        if (err) reject(err);
        else resolve({ output, stats });
      };
      const send = (lane: number) => {
        const q = queues[lane];
        while (q.tiles.length < COPY_IN_FLIGHT && next < grid.count) {
          if (q.tiles.length === 0) q.startedAt = Date.now();
          q.tiles.push(next);
          this.workers[lane].postMessage({ type: 'copy-tile', job: id, index: next++ } satisfies ToWorker);
        }
      };
      const watch = setInterval(() => {
        queues.forEach((q, lane) => {
          if (q.tiles.length && Date.now() - q.startedAt > job.tileTimeoutMs) {
            this.replace(lane);
            finish(new TileFailure(tileAt(grid, q.tiles[0]), tileTimeoutError(job.tileTimeoutMs, 'its worker thread was stopped and replaced').message));
          }
        });
      }, WATCH_MS);
      this.workers.forEach((worker, lane) => {
        const onMessage = ({ data }: MessageEvent<FromWorker>) => {
          if (data.job !== id) return;
          if (data.type === 'failed') return finish(new TileFailure(tileAt(grid, data.index), data.reason));
          if (data.type !== 'copy-tile-done') return;
          const tile = tileAt(grid, data.index);
          const rowBytes = tile.width * 4;
          const out = new Uint8Array(data.out);
          for (let r = 0; r < tile.height; r++) output.set(out.subarray(r * rowBytes, (r + 1) * rowBytes), ((tile.y + r) * grid.width + tile.x) * 4);
          stats.tiles++;
          stats.busyMs += data.filterMs;
          const q = queues[lane];
          q.tiles.shift();
          q.startedAt = Date.now();
          if (++received === grid.count) return finish();
          send(lane);
        };
        const onError = (e: ErrorEvent) => finish(new Error(`tile worker ${lane} failed: ${e.message}`));
        worker.addEventListener('message', onMessage);
        worker.addEventListener('error', onError);
        listeners.push(() => {
          worker.removeEventListener('message', onMessage);
          worker.removeEventListener('error', onError);
        });
        // Structured clone: each worker gets its own copy of the source (no shared memory without isolation).
        const begin: ToWorker = {
          type: 'copy-begin', job: id, module: job.module, params: job.params, grid, memory: job.memory, maxMemoryPages: job.maxMemoryPages,
          halo: job.halo, source: job.source.buffer as ArrayBuffer, origin: job.padded.origin, stride: job.padded.stride,
        };
        worker.postMessage(begin);
        send(lane);
      });
    });
  }
}
