import type { RunnerInit } from '../strategies/types.js';
import { DEFAULT_TILE_TIMEOUT_MS } from '../pipeline/defaults.js';
import { InlineExecutor } from './inline.js';
import { DeferredExecutor } from './deferred.js';
import { ThreadExecutor } from './threads.js';
import type { ThreadStart, TileExecutor } from './types.js';

export type { TileExecutor } from './types.js';

/** How tiles of a session are run. */
export interface ExecutorOptions {
  workers: number;
  /** Per-tile deadline; an overrunning tile's thread or process is stopped and replaced. */
  tileTimeoutMs?: number;
  /**
   * The filter is trusted (built-in): with one worker it may run inline on the calling
   * thread, where no deadline can stop it. Untrusted filters always run where they can
   * be stopped — a thread of their own even for `workers: 1`.
   */
  trusted: boolean;
  /** `on-demand`: a trusted filter's tiles run on the calling thread until they prove heavy. @defaultValue 'on-demand' */
  threadStart?: ThreadStart;
}

/** Filter processes for `disk` and `pipe`; for `copy` and `shared` inline (trusted, one worker) or a thread pool. */
export function createExecutor(init: RunnerInit, options: ExecutorOptions): TileExecutor {
  const timeout = options.tileTimeoutMs ?? DEFAULT_TILE_TIMEOUT_MS;
  // The process strategies load their executors (child processes, temp files) only when chosen.
  if (init.strategy === 'disk') {
    return new DeferredExecutor(options.workers, async () => new (await import('../strategies/process/disk.js')).DiskExecutor(init, options.workers, timeout));
  }
  if (init.strategy === 'pipe') {
    return new DeferredExecutor(options.workers, async () => new (await import('../strategies/process/pipe.js')).PipeExecutor(init, options.workers, timeout));
  }
  if (options.workers <= 1 && options.trusted) return new InlineExecutor(init);
  return new ThreadExecutor(init, options.workers, timeout, { inlineFirst: options.trusted && options.threadStart !== 'eager' });
}
