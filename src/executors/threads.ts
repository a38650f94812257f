import { Piscina } from 'piscina';
import type { RunnerInit, TileTask, TileTimings } from '../strategies/types.js';
import { tileTimeoutError } from './deadline.js';
import type { TileExecutor } from './types.js';

const WORKER = new URL('./tile-worker.js', import.meta.url).href;

interface Pending {
  task: TileTask;
  resolve: (t: TileTimings) => void;
  reject: (e: unknown) => void;
}

/**
 * Runs tiles on a piscina pool of worker threads. The compiled `WebAssembly.Module`
 * (and the shared memory) travel once, as workerData; each task is a few numbers.
 *
 * At most one tile per thread is handed to piscina at a time, so a tile's deadline
 * starts when it starts running, not while it waits: a tile that overruns is aborted,
 * piscina terminates its thread (the only way to stop a WASM loop) and starts another.
 */
export class ThreadExecutor implements TileExecutor {
  private readonly pool: Piscina<TileTask, TileTimings>;
  private readonly queue: Pending[] = [];
  private running = 0;

  constructor(
    init: RunnerInit,
    readonly threads: number,
    private readonly tileTimeoutMs: number,
  ) {
    this.pool = new Piscina({
      filename: WORKER,
      minThreads: threads,
      maxThreads: threads,
      workerData: init,
      idleTimeout: 60_000,
    });
  }

  run(task: TileTask): Promise<TileTimings> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.running < this.threads && this.queue.length > 0) {
      const { task, resolve, reject } = this.queue.shift()!;
      this.running++;
      const signal = AbortSignal.timeout(this.tileTimeoutMs);
      this.pool
        .run(task, { signal })
        .then(resolve, (err: unknown) => reject(signal.aborted ? tileTimeoutError(this.tileTimeoutMs, 'its worker thread was stopped and replaced') : err))
        .finally(() => {
          this.running--;
          this.dispatch();
        });
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
