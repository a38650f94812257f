/**
 * Filtering one prepared region (a whole image, or one band of a big one): its tiles
 * are made one at a time from the grid and handed to the executor a window at a time,
 * so the tiles in flight — and the memory they hold — stay bounded whatever the tile
 * size (`--tile 1` on a large photo would otherwise build millions of tasks at once).
 */
import { ErrorCode, TesseraError, errorMessage } from '../errors.js';
import type { TileExecutor } from '../executors/index.js';
import type { PremultipliedAlpha } from './alpha-passes.js';
import { premultiplyForFilter, unpremultiplyPixels } from './alpha.js';
import type { PreparedImage, StrategyHost } from '../strategies/index.js';
import { tileAt, tileGrid, type Tile } from '../tiling/plan.js';
import { addStages, type StageTimes } from './stages.js';

/** Pixels of tiles kept in flight per region: enough to keep every thread fed, few enough to bound the task objects. */
const WINDOW_PIXELS = 2 ** 22;
const MIN_WINDOW = 32;
const MAX_WINDOW = 4096;

/** What filtering a region needs from its session. */
export interface RegionContext {
  host: StrategyHost;
  executor: TileExecutor;
  tileSize: number;
  /** The filter as error messages name it. */
  filterLabel: string;
  /** A fresh group id: tiles of one group (one region) may travel to a thread together. */
  nextGroup(): number;
  /**
   * Set for a filter whose manifest says `"alpha": "premultiplied"`: {@link filterRegion}
   * premultiplies each region before its tiles and unpremultiplies the output after
   * (pipeline/alpha.ts). Absent: straight alpha, no passes.
   */
  premultiplied?: PremultipliedAlpha;
  /**
   * Filters a whole prepared band elsewhere instead of tile by tile on `executor` (a queue
   * coordinator's band jobs): resolves with its filtered rows, tightly packed, and its tile count.
   * @param rowOffset the band's first row in the image
   */
  filterBand?: (region: PreparedImage, label: string, rowOffset: number) => Promise<{ rows: Uint8Array; tiles: number }>;
}

/** A caller's output the threads copy each tile's result into (thread strategies only). */
export interface DirectOutput {
  buffer: SharedArrayBuffer;
  /** Pixels per row of the whole output. */
  width: number;
}

/** Tiles handed to the executor at once for tiles of `tileSize`. */
export function tileWindow(tileSize: number): number {
  return Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, Math.ceil(WINDOW_PIXELS / (tileSize * tileSize))));
}

/**
 * Runs every tile of `region` and returns how many there were. Waits for every tile in
 * flight even when one fails (no thread may still write into the region's memory when
 * it is released), hands out no more after a failure, and throws the first failure.
 * @param label names the image in errors
 * @param rowOffset the region's first row in the image, so errors name image coordinates
 * @throws TesseraError FilterTrap naming the file, tile and filter
 */
export async function filterRegion(
  ctx: RegionContext, region: PreparedImage, label: string, rowOffset: number, stages: StageTimes, direct?: DirectOutput, opaque = false,
): Promise<number> {
  if (!ctx.premultiplied) return runTiles(ctx, region, label, rowOffset, stages, direct);
  const t0 = performance.now();
  const unpremultiply = premultiplyForFilter(ctx.premultiplied, region, opaque);
  stages.splitMs += performance.now() - t0;
  const tiles = await runTiles(ctx, region, label, rowOffset, stages, direct);
  if (unpremultiply) {
    const t1 = performance.now();
    // A direct output holds the region's rows at its row offset (regions are full-width bands).
    if (direct) unpremultiplyPixels(new Uint8Array(direct.buffer, rowOffset * direct.width * 4, region.layout.height * direct.width * 4));
    else unpremultiplyPixels(ctx.host.output(region), region.memory);
    stages.assembleMs += performance.now() - t1;
  }
  return tiles;
}

/** The tiles of `region`, a window at a time on the executor: {@link filterRegion} without the alpha passes. */
async function runTiles(ctx: RegionContext, region: PreparedImage, label: string, rowOffset: number, stages: StageTimes, direct?: DirectOutput): Promise<number> {
  const { width, height } = region.layout;
  const grid = tileGrid(width, height, ctx.tileSize);
  const group = ctx.nextGroup();
  const window = tileWindow(ctx.tileSize);
  ctx.executor.expect?.(grid.count);
  let next = 0;
  let running = 0;
  let failure: TesseraError | undefined;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (failure === undefined && running < window && next < grid.count) {
        const tile = tileAt(grid, next++);
        running++;
        const task = { ...ctx.host.task(region, tile), group };
        if (direct) Object.assign(task, { out: direct.buffer, outOffset: ((rowOffset + tile.y) * direct.width + tile.x) * 4, outStride: direct.width * 4 });
        ctx.executor.run(task).then(
          (timings) => addStages(stages, timings),
          (reason: unknown) => (failure ??= tileError(ctx, label, grid.columns, tile, rowOffset, reason)),
        ).finally(() => {
          running--;
          pump();
        });
      }
      if (running === 0) resolve();
    };
    pump();
  });
  // Tiles never handed out are no longer coming.
  ctx.executor.expect?.(-(grid.count - next));
  if (failure) throw failure;
  return grid.count;
}

function tileError(ctx: RegionContext, file: string, columns: number, tile: Tile, rowOffset: number, reason: unknown): TesseraError {
  const aligned = rowOffset % ctx.tileSize === 0;
  const index = aligned ? (rowOffset / ctx.tileSize) * columns + tile.index : tile.index;
  const where = `${aligned ? '' : `the band at row ${rowOffset}, `}tile ${index} (x=${tile.x} y=${tile.y + rowOffset} ${tile.width}×${tile.height})`;
  return new TesseraError(ErrorCode.FilterTrap, `${file}: filter ${ctx.filterLabel} failed on ${where}: ${errorMessage(reason)}`, { cause: reason });
}
