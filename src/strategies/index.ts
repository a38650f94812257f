import { CopyHost, CopyTileRunner } from './copy.js';
import type { StrategyHost } from './host.js';
import { SharedHost, SharedTileRunner } from './shared.js';
import type { RunnerInit, TileRunner } from './types.js';

export type { PreparedImage, StrategyHost } from './host.js';
export * from './types.js';

/** The main-thread half of the strategy named in `init`. */
export function createStrategyHost(init: RunnerInit): StrategyHost {
  return init.strategy === 'shared' ? new SharedHost(init) : new CopyHost(init);
}

/** The thread half of the strategy named in `init`. */
export function createTileRunner(init: RunnerInit): TileRunner {
  return init.strategy === 'shared' ? new SharedTileRunner(init) : new CopyTileRunner(init);
}
