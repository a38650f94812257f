/**
 * POST /api/plan: a run's params and geometry, checked by the code that checks `tessera
 * run`'s options (resolveSessionConfig): an out-of-range param, a halo or scratch size the
 * filter answers wrongly, a strategy the filter lacks — each refused with the CLI's message.
 */
import { ErrorCode, TesseraError } from '../errors.js';
import { resolveSessionConfig } from '../pipeline/session-config.js';
import type { ApiPlan, ApiPlanRequest } from './api-types.js';
import type { FilterCatalog } from './catalog.js';

function isRequest(body: unknown): body is ApiPlanRequest {
  const b = body as Partial<ApiPlanRequest> | null;
  return (
    typeof b === 'object' && b !== null && typeof b.filter === 'string' && (b.strategy === 'shared' || b.strategy === 'copy') &&
    typeof b.params === 'object' && b.params !== null && Object.values(b.params).every((v) => typeof v === 'number') &&
    typeof b.tileSize === 'number'
  );
}

/**
 * The plan of one run.
 * @throws TesseraError with the CLI's message when the request, a param or the filter is refused
 */
export function planRun(catalog: FilterCatalog, body: unknown): ApiPlan {
  if (!isRequest(body)) throw new TesseraError(ErrorCode.Usage, 'expected { filter, params: { name: number }, tileSize, strategy: "shared" | "copy" }');
  const { module, error } = catalog.module(body.filter);
  if (!module) throw new TesseraError(ErrorCode.FilterInvalid, error ?? `unknown filter ${body.filter}`);
  const config = resolveSessionConfig({ filter: module, params: body.params, tileSize: body.tileSize, strategy: body.strategy, workers: 1 });
  return { params: config.params, halo: config.halo, scratchBytes: config.scratchBytes, maxMemoryPages: config.maxMemoryPages, tileTimeoutMs: config.tileTimeoutMs };
}
