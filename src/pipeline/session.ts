/**
 * A processing session: one filter with its params, one strategy, one executor whose
 * threads stay up across runs (so a benchmark can warm up and repeat). Images flow
 * decode → pad → tiles → encode with several images in flight and no per-image
 * barrier: the pool's queue holds tiles of the next image while this one finishes,
 * and libvips decodes and encodes other images on its own threads meanwhile.
 */
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { ErrorCode, TesseraError, errorMessage } from '../errors.js';
import { createExecutor, DEFAULT_TILE_TIMEOUT_MS, type TileExecutor } from '../executors/index.js';
import { decodeImage, DEFAULT_MAX_PIXELS } from '../io/decode.js';
import { prepareForEncode, encodeImage, LAYOUT_CHANNELS, type ChannelLayout } from '../io/encode.js';
import { createStrategyHost, STRATEGIES, type Isolation, type PreparedImage, type StrategyHost, type StrategyName, type RunnerInit } from '../strategies/index.js';
import { paddedLayout } from '../tiling/padded-image.js';
import { DEFAULT_TILE_SIZE, planTiles, type Tile } from '../tiling/plan.js';
import { PAGE } from '../wasm/abi.js';
import { createFilterMemory, filterHalo, loadFilter, type FilterModule } from '../wasm/filter-module.js';
import { resolveParams, type ParamInput } from '../wasm/params.js';
import { addStages, emptyStages, type StageTimes } from './stages.js';

/**
 * Images decoded, filtered or encoded at once. More than the thread count, because
 * libvips decodes and encodes on its own threads: on 2 cores, 8 in flight ran the
 * Kodak-shaped set ~20% faster than 3 (decodes of later images overlap encodes of
 * earlier ones). Memory grows with it: about 3 × width × height × 4 bytes per image.
 */
export const DEFAULT_IMAGES_IN_FLIGHT = 8;

/** Default cap on a private filter memory (`copy`), in MiB. */
export const DEFAULT_FILTER_MEMORY_MB = 256;

/** Options of a session. */
export interface SessionOptions {
  /** Built-in filter name, path to a `.wasm`, or a filter loaded with `loadFilter`. */
  filter: string | FilterModule;
  /** Filter params by name; strings are parsed (CLI), numbers taken as is. Defaults from the manifest. */
  params?: ParamInput;
  /** `shared` (default when the filter supports it), `copy`, `pipe` or `disk`. */
  strategy?: StrategyName;
  /** `copy` only: `pooled` (one instance per worker) or `instance` (a fresh instance per tile). @defaultValue 'pooled' */
  isolation?: Isolation;
  /** Threads filtering tiles: 1 runs inline on the calling thread. @defaultValue os.availableParallelism() */
  workers?: number;
  /** Tile edge in pixels (≥ 1). @defaultValue 256 */
  tileSize?: number;
  /** Refuse images with more pixels than this, before decoding. @defaultValue 268402689 */
  maxPixels?: number;
  /** Cap on each private filter memory (`copy`), MiB. @defaultValue 256 */
  filterMemoryMb?: number;
  /** Per-tile deadline in ms: an overrunning tile's thread or process is stopped and replaced, and the image fails. @defaultValue 10000 */
  tileTimeoutMs?: number;
  /** Images in flight at once (at least the worker count). @defaultValue 8 */
  imagesInFlight?: number;
  /**
   * Where tiles run: `local` (this process) or `queue` (BullMQ on Redis, served by
   * `tessera worker` processes; pixels travel as bytes, so the host strategy is `copy`
   * and each worker runs tiles with its own `--strategy`). @defaultValue 'local'
   */
  backend?: 'local' | 'queue';
  /** Redis URL for `backend: 'queue'`, e.g. `redis://127.0.0.1:6379`. */
  redis?: string;
}

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

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new TesseraError(ErrorCode.Usage, `Expected an integer >= ${min} for ${name} but received ${value}`);
  }
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
    this.filter = typeof options.filter === 'string' ? loadFilter(options.filter) : options.filter;
    this.workers = options.workers ?? availableParallelism();
    this.tileSize = options.tileSize ?? DEFAULT_TILE_SIZE;
    this.maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    const filterMemoryMb = options.filterMemoryMb ?? DEFAULT_FILTER_MEMORY_MB;
    checkInt('workers', this.workers, 1);
    checkInt('tileSize', this.tileSize, 1);
    checkInt('maxPixels', this.maxPixels, 1);
    checkInt('filterMemoryMb', filterMemoryMb, 1);
    this.imagesInFlight = options.imagesInFlight ?? Math.max(DEFAULT_IMAGES_IN_FLIGHT, this.workers);
    checkInt('imagesInFlight', this.imagesInFlight, 1);
    const backend = options.backend ?? 'local';
    if (backend !== 'local' && backend !== 'queue') throw new TesseraError(ErrorCode.Usage, `unknown backend "${String(backend)}"; valid: local, queue`);
    if (backend === 'queue' && options.strategy && options.strategy !== 'copy') {
      throw new TesseraError(ErrorCode.Usage, `with --backend queue tiles travel as bytes (the copy host); choose how workers run them with \`tessera worker --strategy\`, not --strategy ${options.strategy}`);
    }
    this.strategy = options.strategy ?? (backend === 'queue' ? 'copy' : this.filter.shared ? 'shared' : 'copy');
    if (!STRATEGIES.includes(this.strategy)) {
      throw new TesseraError(ErrorCode.Usage, `unknown strategy "${String(this.strategy)}"; valid strategies: ${STRATEGIES.join(', ')}`);
    }
    const isolation = options.isolation ?? 'pooled';
    if (isolation !== 'pooled' && isolation !== 'instance') {
      throw new TesseraError(ErrorCode.Usage, `unknown isolation "${String(isolation)}"; valid: pooled, instance`);
    }
    if (isolation === 'instance' && this.strategy !== 'copy') {
      throw new TesseraError(ErrorCode.Usage, `--isolation instance applies to the copy strategy only, not ${this.strategy}`);
    }
    if (this.strategy === 'shared' && !this.filter.shared) {
      throw new TesseraError(
        ErrorCode.Usage,
        `filter ${this.filter.name} cannot use the shared strategy: its module does not import a shared env.memory; use --strategy copy`,
      );
    }
    if ((this.strategy === 'pipe' || this.strategy === 'disk') && !this.filter.command) {
      throw new TesseraError(
        ErrorCode.Usage,
        `filter ${this.filter.name} has no WASI command form (${this.filter.builtin ? `${this.filter.name}.wasi.wasm` : 'FILE.wasi.wasm next to FILE.wasm'}) for the ${this.strategy} strategy; build it with scripts/build-filters.mjs`,
      );
    }
    this.params = resolveParams(this.filter.manifest, options.params);
    this.paramValues = Object.fromEntries(this.filter.manifest.params.map((p, i) => [p.name, this.params[i] / p.scale]));
    this.halo = filterHalo(this.filter, this.params);
    const variant = this.strategy === 'shared' ? this.filter.shared! : this.filter.plain;
    const maxMemoryPages = Math.ceil((filterMemoryMb * 1024 * 1024) / PAGE);
    if (variant.memory === 'exported' && (variant.limits.maximum === undefined || variant.limits.maximum > maxMemoryPages)) {
      // A memory the module defines itself can only be capped by its own declared maximum.
      throw new TesseraError(
        ErrorCode.FilterInvalid,
        `${this.filter.source}: defines its own memory with ${variant.limits.maximum === undefined ? 'no maximum' : `a maximum of ${variant.limits.maximum} pages`}, so --filter-memory ${filterMemoryMb} MiB cannot cap it. Possible solutions:\n- import the memory as env.memory instead (AssemblyScript: --importMemory; Rust/clang: -Wl,--import-memory)\n- declare a maximum of at most ${maxMemoryPages} pages`,
      );
    }
    const init: RunnerInit = {
      strategy: this.strategy,
      filterName: this.filter.builtin ? this.filter.name : this.filter.source,
      variant,
      maxMemoryPages,
      isolation,
      params: this.params,
      halo: this.halo,
    };
    if (this.strategy === 'shared') {
      init.sharedMemory = createFilterMemory(variant);
      init.sharedGrowth = new Int32Array(new SharedArrayBuffer(8));
      init.sharedGrowth[0] = init.sharedMemory.buffer.byteLength / PAGE;
    }
    if (this.filter.command) init.commandPath = this.filter.command;
    this.host = createStrategyHost(init);
    const tileTimeoutMs = options.tileTimeoutMs ?? DEFAULT_TILE_TIMEOUT_MS;
    checkInt('tileTimeoutMs', tileTimeoutMs, 1);
    this.executor = createExecutor(init, { workers: this.workers, tileTimeoutMs, trusted: this.filter.builtin, backend, redis: options.redis, filter: this.filter });
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
    await Promise.all(Array.from({ length: lanes }, lane));
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
    const what = this.filter.builtin ? this.filter.name : this.filter.source;
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
