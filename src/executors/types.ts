import type { TileTask, TileTimings } from '../strategies/types.js';

/** When a session's worker threads start (see `SessionOptions.threadStart`). */
export type ThreadStart = 'on-demand' | 'eager';

/** Where tiles run. */
export interface TileExecutor {
  /** Threads filtering in parallel. */
  readonly threads: number;
  /** Runs one tile; rejects with the filter's error (a trap, an abort) as is. */
  run(task: TileTask): Promise<TileTimings>;
  /** Optional: starts threads or processes ahead of the first tile (idempotent). */
  start?(): void;
  /** Optional: resolves when the executor can take tiles, rejects with why it cannot (e.g. Redis unreachable). */
  ready?(): Promise<void>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/** What a pool thread posts once its tile runner is loaded (piscina passes it on as a 'message' event). */
export const THREAD_READY = 'tessera:thread-ready';
