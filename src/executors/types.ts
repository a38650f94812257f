import type { TileTask, TileTimings } from '../strategies/types.js';

/** When a session's worker threads start (see `SessionOptions.threadStart`). */
export type ThreadStart = 'on-demand' | 'eager';

/** Where tiles run. */
export interface TileExecutor {
  /** Threads filtering in parallel. */
  readonly threads: number;
  /** Runs one tile; rejects with the filter's error (a trap, an abort) as is. */
  run(task: TileTask): Promise<TileTimings>;
  /**
   * Optional: `tiles` more tiles are coming (handed out a window at a time): lets an
   * executor that starts threads on demand see the whole backlog, not just the window.
   */
  expect?(tiles: number): void;
  /** Optional: starts threads or processes ahead of the first tile (idempotent). */
  start?(): void;
  /** Optional: resolves when the executor can take tiles, rejects with why it cannot (e.g. Redis unreachable). */
  ready?(): Promise<void>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/** What a pool thread posts once its tile runner is loaded (piscina passes it on as a 'message' event). */
export const THREAD_READY = 'tessera:thread-ready';

/** Tiles handed to a pool thread in one message; the thread reports `{ batchStarted: id }` as it starts them. */
export interface TileBatch {
  id: number;
  tasks: TileTask[];
  /** The scratch slot (`shared`) the thread uses for these tiles: no two batches running at once share one. */
  lane: number;
}

/** True for a thread's report that it started batch `batchStarted`. */
export function isBatchStarted(message: unknown): message is { batchStarted: number } {
  return typeof message === 'object' && message !== null && typeof (message as { batchStarted?: unknown }).batchStarted === 'number';
}
