import { Piscina } from 'piscina';
import type { RunnerInit, TileTask, TileTimings } from '../strategies/types.js';
import { tileTimeoutError } from './deadline.js';
import type { TileOutcome } from './tile-worker.js';
import type { TileExecutor } from './types.js';

/** Most tiles sent to a thread in one message. */
const MAX_BATCH = 8;

const WORKER = new URL('./tile-worker-entry.cjs', import.meta.url).href;

interface Pending {
  task: TileTask;
  resolve: (t: TileTimings) => void;
  reject: (e: unknown) => void;
}

/**
 * Runs tiles on a piscina pool of worker threads. The compiled `WebAssembly.Module`
 * (and the shared memory) travel once, as workerData; each task is a few numbers.
 *
 * Tiles go to threads in small batches of one image's tiles (a thread hand-off costs
 * ~80 µs, as much as filtering a 256×256 tile). At most one batch per thread is handed
 * to piscina at a time, so a batch's deadline (the tile deadline × its tiles) starts when
 * it starts running, not while it waits: an overrunning batch is aborted, piscina
 * terminates its thread (the only way to stop a WASM loop) and starts another, and only
 * that batch's image fails.
 */
export class ThreadExecutor implements TileExecutor {
  private readonly pool: Piscina<TileTask[], TileOutcome[]>;
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
      // Share what is queued among the threads, one image's tiles per batch.
      const size = Math.min(MAX_BATCH, Math.ceil(this.queue.length / this.threads));
      const group = this.queue[0].task.group;
      let n = 1;
      while (n < size && n < this.queue.length && this.queue[n].task.group === group) n++;
      const batch = this.queue.splice(0, n);
      this.running++;
      const timeoutMs = this.tileTimeoutMs * batch.length;
      const signal = AbortSignal.timeout(timeoutMs);
      this.pool
        .run(batch.map((p) => p.task), { signal })
        .then(
          (outcomes) => outcomes.forEach((o, i) => (o.ok ? batch[i].resolve(o.timings) : batch[i].reject(new Error(o.error)))),
          (err: unknown) => {
            const reason = signal.aborted ? tileTimeoutError(this.tileTimeoutMs, 'its worker thread was stopped and replaced') : err;
            for (const p of batch) p.reject(reason);
          },
        )
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
