import { CopyHost, CopyTileRunner } from './copy.js';
import type { StrategyHost } from './host.js';
import { SharedHost, SharedTileRunner } from './shared.js';
import type { RunnerInit, TileRunner } from './types.js';

export type { PreparedImage, StrategyHost } from './host.js';
export * from './types.js';

/** The main-thread half of the strategy named in `init` (`disk` and `pipe` place pixels as `copy` does). */
export function createStrategyHost(init: RunnerInit): StrategyHost {
  return init.strategy === 'shared' ? new SharedHost(init) : new CopyHost(init);
}

/** The thread half of the strategy named in `init` (`copy` or `shared`; the process strategies have none). */
export function createTileRunner(init: RunnerInit): TileRunner {
  if (init.strategy === 'shared') return new SharedTileRunner(init);
  if (init.strategy === 'copy') return new CopyTileRunner(init);
  throw new Error(`strategy ${init.strategy} runs in filter processes, not in threads`);
}
