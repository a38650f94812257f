import type { RunnerInit } from '../strategies/types.js';
import { InlineExecutor } from './inline.js';
import { ThreadExecutor } from './threads.js';
import type { TileExecutor } from './types.js';

export type { TileExecutor } from './types.js';

/** Inline for one worker, a thread pool otherwise. */
export function createExecutor(init: RunnerInit, workers: number): TileExecutor {
  return workers <= 1 ? new InlineExecutor(init) : new ThreadExecutor(init, workers);
}
