import { CopyHost } from './copy.js';
import type { StrategyHost } from './host.js';
import { SharedHost } from './shared.js';
import type { RunnerInit } from './types.js';

export { prepareFrom, type PreparedImage, type StrategyHost } from './host.js';
export * from './types.js';

/** The main-thread half of the strategy named in `init` (`disk` and `pipe` place pixels as `copy` does). */
export function createStrategyHost(init: RunnerInit): StrategyHost {
  return init.strategy === 'shared' ? new SharedHost(init) : new CopyHost(init);
}
