import type { TileTask, TileTimings } from '../strategies/types.js';

/** Where tiles run. */
export interface TileExecutor {
  /** Threads filtering in parallel. */
  readonly threads: number;
  /** Runs one tile; rejects with the filter's error (a trap, an abort) as is. */
  run(task: TileTask): Promise<TileTimings>;
  /** Optional: resolves when the executor can take tiles, rejects with why it cannot (e.g. Redis unreachable). */
  ready?(): Promise<void>;
  /** Stops the threads. */
  close(): Promise<void>;
}
