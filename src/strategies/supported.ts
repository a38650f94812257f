import type { FilterModule } from '../filter/filter-module.js';
import { STRATEGIES, type StrategyName } from './types.js';

/**
 * The strategies a loaded filter can run under, in ladder order: `copy` always (the
 * plain form), `shared` with a shared-memory form, `disk` and `pipe` with a WASI command form.
 */
export function supportedStrategies(filter: FilterModule): StrategyName[] {
  const has: Record<StrategyName, boolean> = { disk: !!filter.command, pipe: !!filter.command, copy: true, shared: !!filter.shared };
  return STRATEGIES.filter((s) => has[s]);
}
