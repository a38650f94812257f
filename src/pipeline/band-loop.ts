/**
 * The band loop: an image filtered as a sequence of bands, a few in flight at once, so
 * reading band k+1 (the padding copy), filtering band k on the threads and writing
 * band k−1 out overlap. Each of the `depth` lanes has buffers of its own, reused from
 * band to band of the image and sized from the memory budget before its first band is
 * read. A whole image is the one-band case. A filter that works on premultiplied alpha has
 * each band premultiplied after it is read and unpremultiplied once filtered, here, so every
 * route through the loop (files, pixels in memory, streamed bands) does the same.
 */
import type { PreparedImage } from '../strategies/index.js';
import { bandAt, bandCount, type Band } from '../tiling/band.js';
import { paddedLayout } from '../tiling/padded-image.js';
import type { MemoryBudget } from './memory-budget.js';
import { filterRegion, type DirectOutput, type RegionContext } from './region-filter.js';
import type { StageTimes } from './stages.js';

/** Fills a band's padded source: its rows, plus the real rows above and below it (`band.above`, `band.below`). */
export type BandReader = (band: Band, region: PreparedImage) => Promise<void> | void;

/** Takes a band's filtered rows (tightly packed RGBA, valid until the promise settles). */
export type BandWriter = (band: Band, rows: Uint8Array) => Promise<void> | void;

/** How an image is cut and how many of its bands are in flight. */
export interface BandLoopOptions {
  width: number;
  height: number;
  halo: number;
  /** Rows per band (the last may be shorter). */
  bandRows: number;
  /** Bands in flight at once. */
  depth: number;
  /** Where each band takes `bandBytes` from before it is read; none when the caller holds the image's bytes already. */
  budget?: MemoryBudget;
  bandBytes: number;
  /** Names the image in errors. */
  label: string;
  /** Filtered rows go straight into this output, copied there by the threads; `write` is then not called. */
  direct?: DirectOutput;
  /** Called as each band is done, with how many are done of how many. */
  onBand?: (done: number, total: number) => void;
  /**
   * Every pixel read is opaque (the decoder found no alpha channel): a premultiplied filter's
   * premultiply pass, the identity then, is not run, and neither is a built-in's unpremultiply.
   */
  opaque?: boolean;
}

/**
 * Filters every band of an image from `read` to `write`; returns the tile count. A
 * failure stops new bands, waits for those in flight, and is thrown.
 */
export async function runBands(ctx: RegionContext, options: BandLoopOptions, read: BandReader, write: BandWriter, stages: StageTimes): Promise<number> {
  const { width, height, halo, bandRows, depth, budget, bandBytes, label, direct, onBand, opaque } = options;
  const count = bandCount(height, bandRows);
  let next = 0;
  let tiles = 0;
  let bandsDone = 0;
  let failure: { error: unknown } | undefined;
  // A lane takes its bytes once and keeps its buffers from band to band (the last band's
  // are reused for the next: no fresh memory, no page faults), and gives both back at the end.
  const lane = async (): Promise<void> => {
    const lease = await budget?.acquire(bandBytes);
    let region: PreparedImage | undefined;
    try {
      while (!failure && next < count) {
        const band = bandAt(next++, height, bandRows, halo);
        region = ctx.host.prepare(paddedLayout(width, band.rows, halo), region);
        const t0 = performance.now();
        await read(band, region);
        stages.splitMs += performance.now() - t0;
        // A band filtered elsewhere (a queue band job) gets its alpha passes where it is filtered (filterRegion, on the worker).
        if (ctx.filterBand) {
          const t1 = performance.now();
          const done = await ctx.filterBand(region, label, band.y0);
          stages.filterMs += performance.now() - t1;
          tiles += done.tiles;
          await write(band, done.rows);
        } else {
          // Not `tiles += await …`: that reads `tiles` before the await, and lanes run at once.
          const n = await filterRegion(ctx, region, label, band.y0, stages, direct, opaque);
          tiles += n;
          if (!direct) await write(band, ctx.host.output(region));
        }
        onBand?.(++bandsDone, count);
      }
    } catch (error) {
      failure ??= { error };
    } finally {
      if (region) ctx.host.release(region, failure !== undefined);
      lease?.release();
    }
  };
  await Promise.all(Array.from({ length: Math.min(depth, count) }, lane));
  if (failure) throw failure.error;
  return tiles;
}
