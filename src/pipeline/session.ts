/**
 * A processing session: one filter with its params, one strategy, one executor whose
 * threads stay up across runs (so a benchmark can warm up and repeat). Images flow
 * decode → pad → tiles → encode with several images in flight and no per-image
 * barrier: the pool's queue holds tiles of the next image while this one finishes,
 * and libvips decodes and encodes other images on its own threads meanwhile.
 */
import { basename, join } from 'node:path';
import { ErrorCode, TesseraError, errorMessage } from '../errors.js';
import { createExecutor, type TileExecutor } from '../executors/index.js';
import { decodeImage } from '../io/decode.js';
import { prepareForEncode, encodeImage, LAYOUT_CHANNELS, type ChannelLayout } from '../io/encode.js';
import { createStrategyHost, type PreparedImage, type StrategyHost, type StrategyName, type RunnerInit } from '../strategies/index.js';
import { paddedLayout } from '../tiling/padded-image.js';
import { planTiles, type Tile } from '../tiling/plan.js';
import { filterLabel, type FilterModule } from '../filter/filter-module.js';
import { withSharedMemory } from '../strategies/shared.js';
import { resolveSessionConfig, type SessionOptions } from './session-config.js';
import { addStages, emptyStages, type StageTimes } from './stages.js';

export type { SessionOptions } from './session-config.js';

/** What happened to one input file. */
export interface ImageResult {
  input: string;
  /** Written file; absent when the image failed. */
  output?: string;
  width?: number;
  height?: number;
  /** Channel layout written. */
  layout?: ChannelLayout;
  channels?: number;
  tiles?: number;
  /** Why the image failed (names the file, and the tile and filter when a tile failed). */
  error?: string;
  ms: number;
}

/** Progress callback argument: one image finished (or failed). */
export interface ImageEvent {
  result: ImageResult;
  done: number;
  total: number;
}

/** Summary of one run over a set of files. */
export interface RunSummary {
  filter: string;
  params: Record<string, number>;
  strategy: StrategyName;
  workers: number;
  tileSize: number;
  images: number;
  succeeded: number;
  failed: number;
  megapixels: number;
  elapsedMs: number;
  mpxPerS: number;
  stages: StageTimes;
  results: ImageResult[];
}

/** Options of one run inside a session. */
export interface RunOptions {
  onImage?: (event: ImageEvent) => void;
  /** Called with every finished image's RGBA before it is encoded (for verification). */
  onPixels?: (input: string, rgba: Uint8Array, width: number, height: number) => void;
}

/** An open session; call `close()` when done. */
export class Session {
  readonly filter: FilterModule;
  readonly strategy: StrategyName;
  readonly workers: number;
  readonly tileSize: number;
  readonly halo: number;
  readonly params: number[];
  readonly maxPixels: number;
  /** Images in flight at once. */
  readonly imagesInFlight: number;
  private readonly host: StrategyHost;
  private readonly executor: TileExecutor;
  private readonly paramValues: Record<string, number>;
  private nextGroup = 0;

  constructor(options: SessionOptions) {
    const config = resolveSessionConfig(options);
    const { variant, maxMemoryPages, isolation, backend, tileTimeoutMs, threadStart } = config;
    this.filter = config.filter;
    this.strategy = config.strategy;
    this.workers = config.workers;
    this.tileSize = config.tileSize;
    this.maxPixels = config.maxPixels;
    this.imagesInFlight = config.imagesInFlight;
    this.params = config.params;
    this.paramValues = config.paramValues;
    this.halo = config.halo;
    const init: RunnerInit = {
      strategy: this.strategy,
      filterName: filterLabel(this.filter),
      variant,
      maxMemoryPages,
      isolation,
      params: this.params,
      halo: this.halo,
    };
    if (this.strategy === 'shared') withSharedMemory(init);
    if (this.filter.command) init.commandPath = this.filter.command;
    this.host = createStrategyHost(init);
    this.executor = createExecutor(init, { workers: this.workers, tileTimeoutMs, trusted: this.filter.builtin, threadStart, backend, redis: options.redis, filter: this.filter });
  }

  /** Processes `files` into `outDir` (which must exist), never throwing for a bad image. */
  async run(files: readonly string[], outDir: string, options: RunOptions = {}): Promise<RunSummary> {
    await this.executor.ready?.();
    const started = performance.now();
    const stages = emptyStages();
    const results: ImageResult[] = new Array(files.length);
    let next = 0;
    let done = 0;
    const lanes = Math.min(files.length, this.imagesInFlight);
    const lane = async () => {
      while (next < files.length) {
        const i = next++;
        results[i] = await this.processOne(files[i], outDir, stages, options);
        done++;
        options.onImage?.({ result: results[i], done, total: files.length });
      }
    };
    const running = Promise.all(Array.from({ length: lanes }, lane));
    // The lanes have issued their first decodes (libvips works on its own threads):
    // start the filter threads now, beside the decodes rather than before them.
    this.executor.start?.();
    await running;
    const elapsedMs = performance.now() - started;
    const ok = results.filter((r) => !r.error);
    const megapixels = ok.reduce((s, r) => s + (r.width! * r.height!) / 1e6, 0);
    return {
      filter: this.filter.name,
      params: this.paramValues,
      strategy: this.strategy,
      workers: this.workers,
      tileSize: this.tileSize,
      images: files.length,
      succeeded: ok.length,
      failed: files.length - ok.length,
      megapixels,
      elapsedMs,
      mpxPerS: megapixels / (elapsedMs / 1000),
      stages,
      results,
    };
  }

  private async processOne(file: string, outDir: string, stages: StageTimes, options: RunOptions): Promise<ImageResult> {
    const t0 = performance.now();
    try {
      const image = await decodeImage(file, this.maxPixels);
      const t1 = performance.now();
      stages.decodeMs += t1 - t0;
      const prepared = this.host.prepare(image.data, paddedLayout(image.width, image.height, this.halo));
      stages.splitMs += performance.now() - t1;
      try {
        const tiles = await this.filterPrepared(prepared, file, stages);
        const t2 = performance.now();
        const rgba = this.host.output(prepared);
        options.onPixels?.(file, rgba, image.width, image.height);
        const out = join(outDir, basename(file));
        const encodable = prepareForEncode(rgba, image.hasAlpha);
        await encodeImage(encodable, image.width, image.height, image.format, out);
        const outLayout = encodable.layout;
        stages.encodeMs += performance.now() - t2;
        return {
          input: file,
          output: out,
          width: image.width,
          height: image.height,
          layout: outLayout,
          channels: LAYOUT_CHANNELS[outLayout],
          tiles,
          ms: performance.now() - t0,
        };
      } finally {
        this.host.release(prepared);
      }
    } catch (err) {
      return { input: file, error: errorMessage(err), ms: performance.now() - t0 };
    }
  }

  /** Runs every tile of a prepared image; returns the tile count. Waits for all tiles even when one fails, so no thread still writes into the image's memory when it is released. */
  private async filterPrepared(prepared: PreparedImage, label: string, stages: StageTimes): Promise<number> {
    const { width, height } = prepared.layout;
    const plan = planTiles(width, height, this.tileSize);
    const group = this.nextGroup++;
    const settled = await Promise.allSettled(plan.tiles.map((tile) => this.executor.run({ ...this.host.task(prepared, tile), group })));
    for (let i = 0; i < settled.length; i++) {
      const s = settled[i];
      if (s.status === 'rejected') throw this.tileError(label, plan.tiles[i], s.reason);
      addStages(stages, s.value);
    }
    return plan.tiles.length;
  }

  /**
   * Filters raw RGBA8 pixels (rows packed) and returns a new buffer with the result:
   * the same tiles, strategy and threads as a file run, without decoding or encoding.
   * @param label names the image in errors
   * @throws TesseraError FilterTrap naming the tile
   */
  async filterPixels(rgba: Uint8Array, width: number, height: number, label = 'pixels'): Promise<Uint8Array> {
    if (rgba.length !== width * height * 4) {
      throw new TesseraError(ErrorCode.Usage, `expected ${width * height * 4} bytes of RGBA for ${width}×${height}, got ${rgba.length}`);
    }
    await this.executor.ready?.();
    const prepared = this.host.prepare(rgba, paddedLayout(width, height, this.halo));
    try {
      await this.filterPrepared(prepared, label, emptyStages());
      return this.host.output(prepared).slice();
    } finally {
      this.host.release(prepared);
    }
  }

  private tileError(file: string, tile: Tile, reason: unknown): TesseraError {
    const what = filterLabel(this.filter);
    return new TesseraError(
      ErrorCode.FilterTrap,
      `${file}: filter ${what} failed on tile ${tile.index} (x=${tile.x} y=${tile.y} ${tile.width}×${tile.height}): ${errorMessage(reason)}`,
      { cause: reason },
    );
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.executor.close();
    await this.host.close();
  }
}
