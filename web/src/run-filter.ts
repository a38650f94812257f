/**
 * One image through one filter in the page — tessera's filter stage: pad the decoded
 * pixels by the halo (src/tiling's writePadded, so the borders are replicated exactly as
 * `tessera run` replicates them), run every tile on the pool, read the output.
 * `shared` pads straight into the image's shared memory, laid out as SharedHost lays it,
 * and memories are kept and scrubbed for the next image as tessera's MemoryPool does. A
 * filter on premultiplied alpha has the padded source premultiplied and the output
 * unpremultiplied around its tiles, as tessera's band loop does (alpha.ts).
 */
import { PAGE } from '../../src/filter/abi.js';
import { MemoryPool } from '../../src/strategies/memory-pool.js';
import { paddedLayout, writePadded } from '../../src/tiling/padded-image.js';
import type { ApiFilter, ApiPlan } from '../../src/serve/api-types.js';
import { alphaPassesFor } from './alpha.js';
import { sharedLayout } from './shared-layout.js';
import type { PoolStats, TilePool } from './tile-pool.js';
import { tileGrid, type TileGrid } from './tiles.js';

/** `shared` (one shared memory per image) or `copy` (a private memory per worker). */
export type Strategy = 'shared' | 'copy';

/** What the filter stage did. */
export interface FilterRun {
  /** RGBA8, rows packed, in page memory. */
  output: Uint8Array;
  strategy: Strategy;
  grid: TileGrid;
  workers: number;
  /** Wall time of the stage (padding, tiles, reading the output), ms. */
  wallMs: number;
  stats: PoolStats;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles the `.wasm` at `url` once per page (the workers get the compiled module). */
export function compileFilter(url: string): Promise<WebAssembly.Module> {
  let module = modules.get(url);
  if (!module) {
    module = WebAssembly.compileStreaming(fetch(url));
    modules.set(url, module);
    module.catch(() => modules.delete(url));
  }
  return module;
}

/**
 * Idle image memories of the form last run: a memory's maximum must suit the module that
 * imports it, and one pool (at most 256 MiB idle, as in tessera) bounds what the tab keeps.
 */
let memories = { url: '', pool: new MemoryPool() };

/**
 * Filters `rgba` (width×height RGBA8) with `filter` as `plan` says, tiles of `tileSize`.
 * @param knownOpaque the decoded image has no alpha channel (every alpha is 255): a filter on
 *        premultiplied alpha then skips the premultiply pass, the identity, as tessera run does
 * @throws TileFailure from the pool; RangeError when the image cannot fit a wasm32 memory
 */
export async function runFilter(
  pool: TilePool, filter: ApiFilter, plan: ApiPlan, strategy: Strategy, rgba: Uint8Array, width: number, height: number, tileSize: number, knownOpaque = false,
): Promise<FilterRun> {
  const form = strategy === 'shared' ? filter.shared! : filter.plain!;
  const module = await compileFilter(form.url);
  const premultiplied = await alphaPassesFor(module, filter);
  const grid = tileGrid(width, height, tileSize);
  const base = { module, params: plan.params, grid, tileTimeoutMs: plan.tileTimeoutMs };
  const t0 = performance.now();
  if (strategy === 'copy') {
    const padded = paddedLayout(width, height, plan.halo);
    const source = new Uint8Array(padded.byteLength);
    writePadded(rgba, padded, source, 0);
    const unpremultiply = premultiplied?.passes.premultiplyForFilter(premultiplied.alpha, source, padded, knownOpaque);
    const { output, stats } = await pool.runCopy({ ...base, memory: form.memory, maxMemoryPages: plan.maxMemoryPages, halo: plan.halo, padded, source });
    if (premultiplied && unpremultiply) premultiplied.passes.unpremultiplyPacked(output);
    return { output, strategy, grid, workers: pool.size, wallMs: performance.now() - t0, stats };
  }
  const layout = sharedLayout(width, height, plan.halo, form, plan.scratchBytes, pool.size, plan.maxMemoryPages);
  if (memories.url !== form.url) memories = { url: form.url, pool: new MemoryPool() };
  const pooled = memories.pool.take(layout.hostPages);
  const memory = pooled?.memory ?? new WebAssembly.Memory({ initial: layout.hostPages, maximum: layout.maximumPages, shared: true });
  const hostPages = pooled?.hostPages ?? layout.hostPages;
  writePadded(rgba, layout.padded, new Uint8Array(memory.buffer), layout.srcBase);
  const source = new Uint8Array(memory.buffer, layout.srcBase, layout.padded.byteLength);
  const unpremultiply = premultiplied?.passes.premultiplyForFilter(premultiplied.alpha, source, layout.padded, knownOpaque, memory);
  const stats = await pool.runShared({ ...base, memory, layout });
  const result = new Uint8Array(memory.buffer, layout.dstBase, width * height * 4);
  if (premultiplied && unpremultiply) premultiplied.passes.unpremultiplyPacked(result, memory);
  // slice(): a copy in page memory — ImageData and Blob take no shared buffers, and the memory goes back to the pool.
  const output = result.slice();
  const wallMs = performance.now() - t0;
  // Kept only when the filter did not grow it (as SharedHost.release); a failed image's memory is dropped (the throw above).
  if (memory.buffer.byteLength === hostPages * PAGE) memories.pool.give(memory, hostPages);
  return { output, strategy, grid, workers: pool.size, wallMs, stats };
}
