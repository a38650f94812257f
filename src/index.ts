/**
 * tessera — tiled image filters in WebAssembly.
 *
 * @example
 * import { processImages, listFilters } from 'tessera';
 * console.log(listFilters().map((f) => f.name));
 * const summary = await processImages({ filter: 'gaussian-blur', params: { sigma: 2 }, input: 'photos', output: 'out' });
 */
export { processImages, type ProcessImagesOptions } from './pipeline/process-images.js';
export {
  Session,
  DEFAULT_FILTER_MEMORY_MB,
  type SessionOptions,
  type RunOptions,
  type RunSummary,
  type ImageResult,
  type ImageEvent,
} from './pipeline/session.js';
export type { StageTimes } from './pipeline/stages.js';
export { listFilters, describeFilter, type FilterInfo } from './filters/catalog.js';
export { applyReference } from './filters/apply-reference.js';
export { referenceFilters, type ReferenceFilter } from './filters/reference/index.js';
export {
  loadFilter,
  builtinFilterNames,
  filterHalo,
  instantiateFilter,
  contentHash,
  type FilterModule,
  type FilterVariant,
  type FilterExports,
  type FilterInstance,
  type MemoryMode,
} from './wasm/filter-module.js';
export { resolveParams, parseParamPairs, type ParamInput } from './wasm/params.js';
export { parseManifest, MANIFEST_SECTION, type FilterManifest, type FilterParamSpec } from './wasm/manifest.js';
export { appendCustomSection, inspectWasmBinary } from './wasm/binary.js';
export { ABI_VERSION, HOST_BASE, MAX_HALO } from './wasm/abi.js';
export { planTiles, DEFAULT_TILE_SIZE, type Tile, type TilePlan } from './tiling/plan.js';
export { paddedLayout, writePadded, type PaddedLayout } from './tiling/padded-image.js';
export { STRATEGIES, type StrategyName } from './strategies/types.js';
export { decodeImage, DEFAULT_MAX_PIXELS, type DecodedImage, type ImageFormat } from './io/decode.js';
export { encodeImage, prepareForEncode, ENCODE_OPTIONS, type ChannelLayout, type EncodablePixels } from './io/encode.js';
export { generateSynthDataset, synthDatasetSpec, renderSynthImage, type SynthOptions } from './dataset/synth.js';
export { TesseraError, ErrorCode, isUsageError } from './errors.js';
