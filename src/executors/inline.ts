import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { loadTileRunner } from '../strategies/tile-runner.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from '../strategies/types.js';
import type { TileExecutor } from './types.js';

/** Longest the calling thread filters between two turns of the event loop, in ms. */
const YIELD_EVERY_MS = 2;

/**
 * Runs tiles on the calling thread (`--workers 1`). Yields to the event loop every few
 * milliseconds of filtering so that decoding and encoding of other images (on libvips'
 * threads) keep being fed while the filter runs — not before every tile: a turn of the
 * loop costs tens of µs, more than a tiny tile.
 */
export class InlineExecutor implements TileExecutor {
  readonly threads = 1;
  private readonly runner: Promise<TileRunner>;
  private lastYield = 0;

  constructor(init: RunnerInit) {
    this.runner = loadTileRunner(init);
    // A runner that cannot be built fails the first tile; never an unhandled rejection.
    this.runner.catch(() => {});
  }

  async run(task: TileTask): Promise<TileTimings> {
    const runner = await this.runner;
    if (performance.now() - this.lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      this.lastYield = performance.now();
    }
    return runner.run(task, 0);
  }

  async close(): Promise<void> {}
}
