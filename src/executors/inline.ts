import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { loadTileRunner } from '../strategies/tile-runner.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from '../strategies/types.js';
import type { TileExecutor } from './types.js';

/**
 * Runs tiles on the calling thread (`--workers 1`). Yields to the event loop before
 * each tile so that decoding and encoding of other images (on libvips' threads)
 * keep being fed while the filter runs.
 */
export class InlineExecutor implements TileExecutor {
  readonly threads = 1;
  private readonly runner: Promise<TileRunner>;

  constructor(init: RunnerInit) {
    this.runner = loadTileRunner(init);
    // A runner that cannot be built fails the first tile; never an unhandled rejection.
    this.runner.catch(() => {});
  }

  async run(task: TileTask): Promise<TileTimings> {
    const runner = await this.runner;
    await yieldToEventLoop();
    return runner.run(task, 0);
  }

  async close(): Promise<void> {}
}
