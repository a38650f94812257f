/**
 * tessera — tiled image filters in WebAssembly.
 *
 * The API a user needs: run filters over files or pixels, list and check filters,
 * the TypeScript references to verify a filter against, and the errors. (The bench
 * package reaches further in through `tessera/internal/*`, which makes no promises.)
 *
 * @example
 * import { processImages, listFilters } from 'tessera';
 * console.log(listFilters().map((f) => f.name));
 * const summary = await processImages({ filter: 'gaussian-blur', params: { sigma: 2 }, input: 'photos', output: 'out' });
 */
export { processImages, type ProcessImagesOptions } from './pipeline/process-images.js';
export { Session, type RunOptions, type RunSummary, type ImageResult, type ImageEvent, type BandEvent } from './pipeline/session.js';
export type { SessionOptions } from './pipeline/session-config.js';
export type { StageTimes } from './pipeline/stages.js';
export {
  DEFAULT_TILE_SIZE,
  DEFAULT_MAX_PIXELS,
  DEFAULT_IMAGES_IN_FLIGHT,
  DEFAULT_FILTER_MEMORY_MB,
  DEFAULT_TILE_TIMEOUT_MS,
  DEFAULT_STREAM_ABOVE_PIXELS,
  defaultMemoryMb,
} from './pipeline/defaults.js';
export { listFilters, describeFilter, type FilterInfo } from './filter/catalog.js';
export { checkFilter, type FilterCheckReport, type CheckStep } from './filter/check.js';
export { loadFilter, builtinFilterNames, type FilterModule } from './filter/filter-module.js';
export { parseManifest, MANIFEST_SECTION, type AlphaMode, type FilterManifest, type FilterParamSpec } from './filter/manifest.js';
export { appendCustomSection } from './filter/binary.js';
export { ABI_VERSION, HOST_BASE, MAX_HALO } from './filter/abi.js';
export { applyReference } from './reference/apply-reference.js';
export { referenceFilters, type ReferenceFilter } from './reference/index.js';
export { STRATEGIES, type StrategyName, type Isolation } from './strategies/types.js';
export { TesseraError, ErrorCode, isUsageError } from './errors.js';
