import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { createTileRunner } from '../strategies/index.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from '../strategies/types.js';
import type { TileExecutor } from './types.js';

/**
 * Runs tiles on the calling thread (`--workers 1`). Yields to the event loop before
 * each tile so that decoding and encoding of other images (on libvips' threads)
 * keep being fed while the filter runs.
 */
export class InlineExecutor implements TileExecutor {
  readonly threads = 1;
  private readonly runner: TileRunner;

  constructor(init: RunnerInit) {
    this.runner = createTileRunner(init);
  }

  async run(task: TileTask): Promise<TileTimings> {
    await yieldToEventLoop();
    return this.runner.run(task);
  }

  async close(): Promise<void> {}
}
