import { createRequire } from 'node:module';
import type { Piscina as PiscinaPool } from 'piscina';
import { loadTileRunner } from '../strategies/tile-runner.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from '../strategies/types.js';
import { tileTimeoutError } from './deadline.js';
import type { TileOutcome } from './tile-worker.js';
import { THREAD_READY, isBatchStarted, type TileBatch, type TileExecutor } from './types.js';

/** Most tiles sent to a thread in one message. */
const MAX_BATCH = 8;

const WORKER = new URL('./tile-worker-entry.cjs', import.meta.url).href;

interface Pending {
  task: TileTask;
  resolve: (t: TileTimings) => void;
  reject: (e: unknown) => void;
}

/**
 * The backlog, in ms of the calling thread's time, past which a trusted filter's pool is
 * started. Two threads cost ~50–100 ms of CPU to start on a 2-core machine and take the
 * cores from libvips' decodes and encodes while they start; they only pay when the
 * filter, not the codecs, is what tiles wait for — when tiles queue up faster than this
 * thread filters them (one big image: hundreds of tiles at once), not while it keeps up
 * (a folder of photos: a few tiles per decoded image).
 */
export const INLINE_BACKLOG_MS = 100;

/** How long a thread may take to start before a batch handed to it is given up, in ms (generous: start-up is ~50–100 ms). */
const THREAD_START_MS = 10_000;

/** Options of a {@link ThreadExecutor}. */
export interface ThreadExecutorOptions {
  /**
   * The filter is trusted (built-in): tiles run on the calling thread until the queued
   * ones would take it more than {@link INLINE_BACKLOG_MS}; then the threads start, and
   * the calling thread keeps filtering until the first of them is ready. An untrusted filter never runs
   * where a deadline cannot stop it: its threads start with the session's first decodes.
   */
  inlineFirst?: boolean;
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
 *
 * The threads are started by {@link start} (or the first tile), so a session can start
 * decoding its first images before it pays for them.
 */
export class ThreadExecutor implements TileExecutor {
  private pool: PiscinaPool<TileBatch, TileOutcome[]> | undefined;
  private readonly queue: Pending[] = [];
  private running = 0;
  /** A thread has loaded its runner: from now on every tile goes to the pool. */
  private warm = false;
  private inline: Promise<TileRunner> | undefined;
  private inlineBusy = false;
  /** Time the calling thread spent on tiles, and how many. */
  private inlineMs = 0;
  private inlineTiles = 0;
  private nextBatch = 0;
  /** Scratch lanes of batches not running now (the calling thread's lane is `threads`). */
  private readonly freeLanes: number[];
  /** Tiles announced by {@link expect} and not handed in yet. */
  private expected = 0;
  /** Starts the deadline of a batch handed to the pool, by batch id, when its thread reports it started. */
  private readonly started = new Map<number, () => void>();

  constructor(
    private readonly init: RunnerInit,
    readonly threads: number,
    private readonly tileTimeoutMs: number,
    options: ThreadExecutorOptions = {},
  ) {
    this.freeLanes = Array.from({ length: threads }, (_, i) => i);
    if (options.inlineFirst) {
      this.inline = loadTileRunner(init);
      this.inline.catch(() => {}); // reported by the tiles it fails
    }
  }

  /** Starts the threads, unless tiles run on this thread first (then they start when the work proves heavy). */
  start(): void {
    if (!this.inline) this.startPool();
  }

  private startPool(): void {
    if (this.pool) return;
    // piscina's CommonJS build: its ES-module wrapper only re-exports it, through a slower loader.
    const { Piscina } = createRequire(import.meta.url)('piscina') as typeof import('piscina');
    this.pool = new Piscina({
      filename: WORKER,
      minThreads: this.threads,
      maxThreads: this.threads,
      workerData: this.init,
      idleTimeout: 60_000,
    });
    this.pool.on('message', (message: unknown) => {
      if (isBatchStarted(message)) {
        this.started.get(message.batchStarted)?.();
      } else if (message === THREAD_READY && !this.warm) {
        this.warm = true;
        this.dispatch();
      }
    });
  }

  expect(tiles: number): void {
    this.expected = Math.max(0, this.expected + tiles);
  }

  run(task: TileTask): Promise<TileTimings> {
    if (this.expected > 0) this.expected--;
    this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (!this.warm && this.inline) {
      this.runInline();
      return;
    }
    while (this.running < this.threads && this.queue.length > 0) {
      // Share what is queued among the threads, one image's tiles per batch.
      const size = Math.min(MAX_BATCH, Math.ceil(this.queue.length / this.threads));
      const group = this.queue[0].task.group;
      let n = 1;
      while (n < size && n < this.queue.length && this.queue[n].task.group === group) n++;
      const batch = this.queue.splice(0, n);
      const lane = this.freeLanes.pop()!;
      this.running++;
      const deadline = this.batchDeadline(this.tileTimeoutMs * batch.length);
      this.pool!.run({ id: deadline.id, tasks: batch.map((p) => p.task), lane }, { signal: deadline.signal })
        .then(
          (outcomes) => outcomes.forEach((o, i) => (o.ok ? batch[i].resolve(o.timings) : batch[i].reject(new Error(o.error)))),
          (err: unknown) => {
            const reason = deadline.signal.aborted ? deadline.signal.reason : err;
            for (const p of batch) p.reject(reason);
          },
        )
        .finally(() => {
          deadline.clear();
          // A batch's thread is done with its lane (or was stopped): the lane is free again.
          this.freeLanes.push(lane);
          this.running--;
          this.dispatch();
        });
    }
  }

  /**
   * A batch's deadline runs from when its thread starts it (the thread says so), not from
   * the hand-off: a thread that is still starting — the first ones, or one replacing a
   * stopped thread — must not eat into the tiles' time. A thread that never starts the
   * batch (its filter's start function loops, say) is stopped after THREAD_START_MS.
   */
  private batchDeadline(timeoutMs: number): { id: number; signal: AbortSignal; clear(): void } {
    const id = this.nextBatch++;
    const controller = new AbortController();
    const abortIn = (ms: number, reason: Error) => setTimeout(() => controller.abort(reason), ms);
    let timer = abortIn(THREAD_START_MS + timeoutMs, new Error(`its worker thread did not start it within ${THREAD_START_MS + timeoutMs} ms and was stopped`));
    this.started.set(id, () => {
      clearTimeout(timer);
      timer = abortIn(timeoutMs, tileTimeoutError(this.tileTimeoutMs, 'its worker thread was stopped and replaced'));
    });
    return {
      id,
      signal: controller.signal,
      clear: () => {
        clearTimeout(timer);
        this.started.delete(id);
      },
    };
  }

  /** One tile at a time on this thread, yielding in between so decodes and encodes keep being fed. */
  private runInline(): void {
    if (this.inlineBusy || this.queue.length === 0) return;
    this.inlineBusy = true;
    const next = this.queue.shift()!;
    setImmediate(() => {
      this.inline!.then((runner) => {
        const timings = runner.run(next.task, this.threads);
        this.inlineMs += timings.splitMs + timings.filterMs + timings.assembleMs;
        this.inlineTiles++;
        if ((this.inlineMs / this.inlineTiles) * (this.queue.length + this.expected) > INLINE_BACKLOG_MS) this.startPool();
        next.resolve(timings);
      })
        .catch(next.reject)
        .finally(() => {
          this.inlineBusy = false;
          this.dispatch();
        });
    });
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
