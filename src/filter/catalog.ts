import { alphaMode, type AlphaMode, type FilterParamSpec } from './manifest.js';
import { builtinFilterNames, filterHalo, loadFilter } from './filter-module.js';
import { resolveParams } from './params.js';
import { supportedStrategies } from '../strategies/supported.js';

/** A filter as `tessera filters` shows it. */
export interface FilterInfo {
  name: string;
  description: string;
  /** Halo at the default params, in pixels. */
  halo: number;
  params: FilterParamSpec[];
  /** Strategies the module can run under. */
  strategies: string[];
  /** Whether it is handed straight or premultiplied alpha (its manifest's `alpha`). */
  alpha: AlphaMode;
}

/**
 * Describes a filter (built-in name or `.wasm` path) from its own manifest.
 * @throws TesseraError when the filter cannot be loaded
 */
export function describeFilter(nameOrPath: string): FilterInfo {
  const filter = loadFilter(nameOrPath);
  const halo = filterHalo(filter, resolveParams(filter.manifest));
  return {
    name: filter.name,
    description: filter.manifest.description,
    halo,
    params: filter.manifest.params,
    strategies: supportedStrategies(filter),
    alpha: alphaMode(filter.manifest),
  };
}

/**
 * Every built-in filter with its params and halo, sorted by name.
 * @example listFilters().map((f) => f.name) // ['box-blur', 'brightness-contrast', …]
 */
export function listFilters(): FilterInfo[] {
  return builtinFilterNames().map(describeFilter);
}
