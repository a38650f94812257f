import type { RunnerInit, TileRunner } from './types.js';

/**
 * The thread half of the strategy named in `init` (`copy` or `shared`; the process
 * strategies have none). Imports only that strategy's module, so a pool thread loads
 * the one strategy it runs.
 */
export async function loadTileRunner(init: RunnerInit): Promise<TileRunner> {
  if (init.strategy === 'shared') return new (await import('./shared.js')).SharedTileRunner(init);
  if (init.strategy === 'copy') return new (await import('./copy.js')).CopyTileRunner(init);
  throw new Error(`strategy ${init.strategy} runs in filter processes, not in threads`);
}
