/**
 * Kernel throughput on one core: each filter's WASM `filter` calls alone over every
 * tile of the decoded images (the `shared` layout, no copies), beside a memcpy of the
 * same pixels measured in the same run — the ceiling for a pixel-wise filter.
 */
import { createStrategyHost, prepareFrom, type RunnerInit } from 'tessera/internal/strategies/index';
import { loadTileRunner } from 'tessera/internal/strategies/tile-runner';
import { paddedLayout } from 'tessera/internal/tiling/padded-image';
import { DEFAULT_TILE_SIZE } from 'tessera/internal/pipeline/defaults';
import { planTiles } from 'tessera/internal/tiling/plan';
import { filterHalo, filterScratchBytes, loadFilter } from 'tessera/internal/filter/filter-module';
import { resolveParams, type ParamInput } from 'tessera/internal/filter/params';
import { median } from './stats.js';

/** One kernel's single-thread throughput. */
export interface KernelResult {
  filter: string;
  /** Median over rounds of Mpx/s, one thread. */
  mpxPerS: number;
  /** memcpy of the same pixels, same run. */
  memcpyMpxPerS: number;
  /** mpxPerS / memcpyMpxPerS. */
  ofMemcpy: number;
}

/** Measures `filters` on `images` (RGBA8). */
export async function measureKernels(
  images: ReadonlyArray<{ data: Uint8Array; width: number; height: number }>,
  filters: ReadonlyArray<{ name: string; params?: ParamInput }>,
  rounds = 7,
): Promise<KernelResult[]> {
  const megapixels = images.reduce((s, i) => s + (i.width * i.height) / 1e6, 0);
  const copies = images.map((i) => new Uint8Array(i.data.length));
  const memcpyRound = () => {
    const t = performance.now();
    images.forEach((img, k) => copies[k].set(img.data));
    return performance.now() - t;
  };
  const results: KernelResult[] = [];
  for (const { name, params } of filters) {
    const filter = loadFilter(name);
    const p = resolveParams(filter.manifest, params);
    const halo = filterHalo(filter, p);
    const variant = filter.shared!;
    const scratchBytes = filterScratchBytes(filter, p, DEFAULT_TILE_SIZE);
    const init: RunnerInit = { strategy: 'shared', filterName: name, variant, maxMemoryPages: 65536, params: p, halo, scratchBytes, lanes: 1 };
    const host = createStrategyHost(init);
    const runner = await loadTileRunner(init);
    const prepared = images.map((img) => prepareFrom(host, img.data, paddedLayout(img.width, img.height, halo)));
    const tasks = prepared.flatMap((pi) => planTiles(pi.layout.width, pi.layout.height, DEFAULT_TILE_SIZE).tiles.map((t) => host.task(pi, t)));
    const filterRound = () => tasks.reduce((s, t) => s + runner.run(t).filterMs, 0);
    filterRound(); // warm-up: tier-up to the optimizing compiler
    memcpyRound();
    const f: number[] = [];
    const m: number[] = [];
    for (let r = 0; r < rounds; r++) {
      f.push(filterRound());
      m.push(memcpyRound());
    }
    prepared.forEach((pi) => host.release(pi));
    const mpxPerS = megapixels / (median(f) / 1000);
    const memcpyMpxPerS = megapixels / (median(m) / 1000);
    results.push({ filter: name, mpxPerS, memcpyMpxPerS, ofMemcpy: mpxPerS / memcpyMpxPerS });
  }
  return results;
}
