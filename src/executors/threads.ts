import { Piscina } from 'piscina';
import type { RunnerInit, TileTask, TileTimings } from '../strategies/types.js';
import type { TileExecutor } from './types.js';

const WORKER = new URL('./tile-worker.js', import.meta.url).href;

/**
 * Runs tiles on a piscina pool of worker threads. The compiled `WebAssembly.Module`
 * (and the shared memory) travel once, as workerData; each task is a few numbers.
 */
export class ThreadExecutor implements TileExecutor {
  private readonly pool: Piscina<TileTask, TileTimings>;

  constructor(
    init: RunnerInit,
    readonly threads: number,
  ) {
    this.pool = new Piscina({
      filename: WORKER,
      minThreads: threads,
      maxThreads: threads,
      workerData: init,
      idleTimeout: 60_000,
      // Unbounded queue: the pipeline bounds in-flight images, and tiles of the next
      // image must be queued while this one finishes (no per-image barrier).
      maxQueue: Infinity,
    });
  }

  run(task: TileTask): Promise<TileTimings> {
    return this.pool.run(task);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
