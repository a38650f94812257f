import type { RunnerInit } from '../strategies/types.js';
import { DiskExecutor } from './disk.js';
import { InlineExecutor } from './inline.js';
import { PipeExecutor } from './pipe.js';
import { ThreadExecutor } from './threads.js';
import type { TileExecutor } from './types.js';

export type { TileExecutor } from './types.js';

/** Filter processes for `disk` and `pipe`; for `copy` and `shared` inline with one worker, a thread pool otherwise. */
export function createExecutor(init: RunnerInit, workers: number): TileExecutor {
  if (init.strategy === 'disk') return new DiskExecutor(init, workers);
  if (init.strategy === 'pipe') return new PipeExecutor(init, workers);
  return workers <= 1 ? new InlineExecutor(init) : new ThreadExecutor(init, workers);
}
