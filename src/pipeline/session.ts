/**
 * A processing session: one filter with its params, one strategy, one executor whose
 * threads stay up across runs (so a benchmark can warm up and repeat). Images flow
 * decode → pad → tiles → encode with several images in flight and no per-image
 * barrier: the pool's queue holds tiles of the next image while this one finishes,
 * and libvips decodes and encodes other images on its own threads meanwhile. What is in
 * flight is bounded by bytes (`memoryMb`): each image takes its bytes before it is
 * decoded, and images too big to hold whole stream through in bands.
 */
import { basename, join } from 'node:path';
import { ErrorCode, TesseraError, errorMessage } from '../errors.js';
import { createExecutor, type TileExecutor } from '../executors/index.js';
import { decodeWarnings, framesOf, readImageHeader, type ImageHeader } from '../io/decode.js';
import type { ImageFormat } from '../io/formats.js';
import { encodeTarget, outputName, type OutputOptions } from '../io/output-spec.js';
import { checkInputLink, guardOutput } from '../io/inputs.js';
import { LAYOUT_CHANNELS, type ChannelLayout, type EncodeTarget } from '../io/encode.js';
import { RunTemp } from '../io/run-temp.js';
import { createStrategyHost, type StrategyHost, type StrategyName, type RunnerInit } from '../strategies/index.js';
import { filterLabel, type FilterModule } from '../filter/filter-module.js';
import { premultipliedAlpha } from './alpha.js';
import { runBands } from './band-loop.js';
import { rowsFromMemory } from './band-sources.js';
import { processStreamed, processWhole, type InMemory, type JobContext, type JobOutcome } from './image-jobs.js';
import { filterRegion } from './region-filter.js';
import { paddedLayout } from '../tiling/padded-image.js';
import { QUEUE_BANDS_IN_FLIGHT, QUEUE_BAND_TARGET_BYTES } from './defaults.js';
import { bandBytes, planImage, type ImagePlan, type PlanInputs } from './image-plan.js';
import { MemoryBudget } from './memory-budget.js';
import { resolveSessionConfig, type SessionConfig, type SessionOptions } from './session-config.js';
import { emptyStages, type StageTimes } from './stages.js';
import type { RemoteSession } from '../queue/remote-session.js';

/** The output settings a worker applies (the name pattern is the coordinator's). */
function jobOutput({ format, quality, pngLevel, strip }: OutputOptions): OutputOptions {
  return { format, quality, pngLevel, strip };
}

/** What a finished image's result says of it (its output path and time are the caller's); warnings only when there are some. */
function resultOf(input: string, header: ImageHeader, target: EncodeTarget, { layout, tiles }: JobOutcome, plan: ImagePlan): Omit<ImageResult, 'ms'> {
  const warnings = decodeWarnings(input, header);
  return {
    input, width: header.width, height: header.height, layout, channels: LAYOUT_CHANNELS[layout], format: target.format, tiles,
    bandRows: plan.mode === 'bands' ? plan.bandRows : undefined, ...(warnings.length ? { warnings } : {}),
  };
}

/** The executor of a queue session: its images go to workers whole, no tile is run here. */
const NO_TILES: TileExecutor = {
  threads: 0,
  run: () => Promise.reject(new Error('a queue session runs no tiles itself')),
  close: () => Promise.resolve(),
};

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
  /** The image went through in bands of this many rows (it was too big to hold whole); absent when it was whole. */
  bandRows?: number;
  /** Queue: written by an earlier, interrupted run of the same command and kept, not redone. */
  skipped?: boolean;
  /** Queue: the worker that ran it (for a big image split into band jobs, every worker that ran a band, comma-separated). */
  worker?: string;
  /** The format written. */
  format?: ImageFormat;
  /** How the output differs from the input beyond the filter, each naming the file (a 16-bit input written 8-bit); printed on stderr. */
  warnings?: string[];
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
  /** The `--memory` budget and the most of it the run's pixels held at once, in MiB. */
  memory: { budgetMb: number; peakMb: number };
  /** Where the images were filtered: this process, or `tessera worker`s through Redis. */
  backend: 'local' | 'queue';
  /** Queue: images an earlier, interrupted run of the same command had written, kept (counted in `succeeded`). */
  skipped: number;
  results: ImageResult[];
}

/** Progress callback argument: one band of an image streamed in bands is filtered. */
export interface BandEvent {
  input: string;
  done: number;
  total: number;
}

/** Options of one run inside a session. */
export interface RunOptions {
  onImage?: (event: ImageEvent) => void;
  /** Called as each band of a streamed (big) image is filtered: progress within one long image. */
  onBand?: (event: BandEvent) => void;
  /** Called with every finished image's RGBA before it is encoded (for verification); not called for images streamed in bands, which are never whole. */
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
  /** Bound on the pixel bytes in flight, shared by every run of the session. */
  readonly budget: MemoryBudget;
  private readonly host: StrategyHost;
  private readonly executor: TileExecutor;
  private readonly paramValues: Record<string, number>;
  private readonly config: SessionConfig;
  private readonly jobs: JobContext;
  /** `backend: 'queue'`: the coordinator side, loaded with BullMQ when the session starts. */
  private readonly remote?: Promise<RemoteSession>;
  private nextGroup = 0;

  constructor(options: SessionOptions) {
    const config = resolveSessionConfig(options);
    this.config = config;
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
    // Every image's memory holds a scratch slot per thread that may run its tiles at once: the pool's, and this one.
    if (this.strategy === 'shared') Object.assign(init, { scratchBytes: config.scratchBytes, lanes: this.workers + 1 });
    if (this.filter.command) init.commandPath = this.filter.command;
    this.host = createStrategyHost(init);
    if (backend === 'queue') {
      this.executor = NO_TILES;
      this.remote = import('../queue/remote-session.js').then(
        ({ RemoteSession }) =>
          new RemoteSession({
            redis: config.redis ?? '',
            filter: this.filter,
            secret: config.secret,
            sharedDir: config.sharedDir,
            followSymlinks: config.followSymlinks,
            imagesInFlight: config.imagesInFlight,
            job: {
              params: config.paramValues, tileSize: config.tileSize, maxPixels: config.maxPixels, filterMemoryMb: config.filterMemoryMb, tileTimeoutMs,
              encode: { ...jobOutput(config.outputOptions), keepOrientation: config.read.keepOrientation },
            },
            outputName: (file: string) => this.outputName(file),
          }),
      );
      this.remote.catch(() => {}); // reported by run()
    } else {
      this.executor = createExecutor(init, { workers: this.workers, tileTimeoutMs, trusted: this.filter.builtin && !config.offLoop, threadStart });
    }
    this.budget = new MemoryBudget(config.memoryBytes);
    this.jobs = {
      host: this.host,
      executor: this.executor,
      tileSize: this.tileSize,
      filterLabel: filterLabel(this.filter),
      nextGroup: () => this.nextGroup++,
      premultiplied: premultipliedAlpha(this.filter.manifest, this.filter.builtin),
      halo: this.halo,
      maxPixels: this.maxPixels,
      budget: this.budget,
    };
  }

  /** How an image of width×height goes through this session (`bands` overrides how it is cut, for pixels in memory and band jobs). */
  planFor(width: number, height: number, label: string, bands: Partial<Pick<PlanInputs, 'streamAbovePixels' | 'bandTargetBytes' | 'bandsInFlight'>> = {}): ImagePlan {
    const c = this.config;
    return planImage(
      {
        width, height, halo: this.halo, tileSize: this.tileSize, budgetBytes: c.memoryBytes, streamAbovePixels: c.streamAbovePixels,
        bandTargetBytes: c.bandTargetBytes, bandsInFlight: c.bandsInFlight, bandRows: c.bandRows, ...bands,
      },
      label,
    );
  }

  /** Processes `files` into `outDir` (which must exist), never throwing for a bad image. */
  async run(files: readonly string[], outDir: string, options: RunOptions = {}): Promise<RunSummary> {
    if (this.remote) return this.runRemote(await this.remote, files, outDir, options);
    await this.executor.ready?.();
    const started = performance.now();
    const stages = emptyStages();
    const results: ImageResult[] = new Array(files.length);
    let next = 0;
    let done = 0;
    const lanes = Math.min(files.length, this.imagesInFlight);
    const temp = new RunTemp();
    // Every input's real path, so that no output is written onto one (through a link).
    const inputs = new Set(await Promise.all(files.map((f) => checkInputLink(f, true))));
    const lane = async () => {
      while (next < files.length) {
        const i = next++;
        results[i] = await this.processOne(files[i], outDir, stages, options, temp, inputs);
        done++;
        options.onImage?.({ result: results[i], done, total: files.length });
      }
    };
    try {
      const running = Promise.all(Array.from({ length: lanes }, lane));
      // The lanes have issued their first decodes (libvips works on its own threads):
      // start the filter threads now, beside the decodes rather than before them.
      this.executor.start?.();
      await running;
    } finally {
      await temp.remove();
    }
    return this.summarize(results, performance.now() - started, stages, {
      memory: { budgetMb: this.budget.totalBytes / 2 ** 20, peakMb: this.budget.peakBytes / 2 ** 20 },
      backend: 'local',
    });
  }

  /** The summary of a run: counts, megapixels and rate from its results, the session's settings. */
  private summarize(results: ImageResult[], elapsedMs: number, stages: StageTimes, where: Pick<RunSummary, 'memory' | 'backend'>): RunSummary {
    const ok = results.filter((r) => !r.error);
    // A kept image (an interrupted queue run's) has no size in its result: it counts, its pixels do not.
    const megapixels = ok.reduce((s, r) => s + ((r.width ?? 0) * (r.height ?? 0)) / 1e6, 0);
    return {
      filter: this.filter.name,
      params: this.paramValues,
      strategy: this.strategy,
      workers: this.workers,
      tileSize: this.tileSize,
      images: results.length,
      succeeded: ok.length,
      failed: results.length - ok.length,
      megapixels,
      elapsedMs,
      mpxPerS: megapixels / (elapsedMs / 1000),
      stages,
      ...where,
      skipped: results.filter((r) => r.skipped).length,
      results,
    };
  }

  /**
   * `run` over the queue: an ordinary image is one job, decoded, filtered and encoded on a
   * worker, never decoded here; a big one (over `splitAbovePixels`) is streamed here in bands
   * whose filtering runs as band jobs on every worker at once.
   */
  private async runRemote(remote: RemoteSession, files: readonly string[], outDir: string, options: RunOptions): Promise<RunSummary> {
    const started = performance.now();
    const stages = emptyStages();
    const temp = new RunTemp();
    let done = 0;
    let results: ImageResult[];
    try {
      results = await remote.run(files, outDir, (result) => options.onImage?.({ result, done: ++done, total: files.length }), {
        abovePixels: this.config.splitAbovePixels,
        run: (file, out) => this.splitOverQueue(remote, file, out, stages, temp, options),
      });
    } finally {
      await temp.remove();
    }
    return this.summarize(results, performance.now() - started, stages, {
      memory: { budgetMb: this.budget.totalBytes / 2 ** 20, peakMb: this.budget.peakBytes / 2 ** 20 },
      backend: 'queue',
    });
  }

  /** A big image over the queue: decoded and encoded here, streamed, its bands filtered as jobs on the workers. */
  private async splitOverQueue(remote: RemoteSession, file: string, out: string, stages: StageTimes, temp: RunTemp, options: RunOptions): Promise<Omit<ImageResult, 'ms'>> {
    // Checked as a local run checks it (the pixel limit, from the header) before a band is cut.
    const { header, target } = await this.admit(file);
    if (header.animation) throw new TesseraError(ErrorCode.Image, `${file}: an animation of ${header.animation.frames} frames cannot be split into band jobs (only single images stream in bands); put it on storage every machine mounts (--shared-dir) so that a worker filters it whole`);
    const plan = this.planFor(header.width, header.height, file, { streamAbovePixels: 0, bandTargetBytes: QUEUE_BAND_TARGET_BYTES, bandsInFlight: QUEUE_BANDS_IN_FLIGHT });
    if (plan.mode !== 'bands') throw new Error('unreachable: a split image always goes through in bands');
    const workers = new Set<string>();
    const jobs: JobContext = {
      ...this.jobs,
      filterBand: async (region, label, rowOffset) => {
        const band = await remote.filterBand(region.source, region.layout, rowOffset, label);
        workers.add(band.worker);
        return band;
      },
    };
    const outcome = await processStreamed(jobs, file, header, plan, out, target, stages, temp, (d, total) => options.onBand?.({ input: file, done: d, total }));
    return { ...resultOf(file, header, target, outcome, plan), worker: [...workers].sort().join(',') };
  }

  /**
   * Filters one band of a bigger image, given as its padded source (`tiling/padded-image.ts`:
   * its rows, the real rows within `halo` above and below, clamped borders): what a worker
   * does with a band job. Resolves with the band's filtered rows, tightly packed.
   * @param rowOffset the band's first row in its image (errors name image coordinates)
   * @throws TesseraError naming the tile, or Usage when the band is not laid out for this filter
   */
  async filterPaddedBand(padded: Uint8Array, width: number, rows: number, halo: number, rowOffset: number, label: string): Promise<{ rows: Uint8Array; tiles: number }> {
    const layout = paddedLayout(width, rows, halo);
    if (halo !== this.halo || padded.length !== layout.byteLength) {
      throw new TesseraError(ErrorCode.Usage, `${label}: a band of ${width}×${rows} with a halo of ${halo} (${padded.length} bytes) is not laid out for filter ${this.filter.name}, which reads ${this.halo} pixels around each`);
    }
    await this.executor.ready?.();
    const lease = await this.budget.acquire(bandBytes(width, rows, halo));
    const region = this.host.prepare(layout);
    let failed = false;
    try {
      region.source.set(padded);
      // The coordinator sent it straight: filterRegion's alpha passes run here.
      const tiles = await filterRegion(this.jobs, region, label, rowOffset, emptyStages());
      // A copy: the region's buffers go back to the host.
      return { rows: this.host.output(region).slice(), tiles };
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      this.host.release(region, failed);
      lease.release();
    }
  }

  /**
   * An image's header (refused from it when it is not one tessera takes), how its output is
   * written, and how it goes through this session.
   * @param bytes the file's contents, when they are in memory (`file` then only names it)
   * @throws TesseraError Image naming the file
   */
  private async admit(file: string, bytes?: Uint8Array): Promise<{ header: ImageHeader; target: EncodeTarget; plan: ImagePlan }> {
    const header = await readImageHeader(file, this.maxPixels, bytes, this.config.read);
    const target = encodeTarget(header, this.config.outputOptions, bytes ?? file, file);
    const plan = this.planFor(header.width, header.height * framesOf(header), file);
    if (header.animation && plan.mode !== 'whole') {
      throw new TesseraError(ErrorCode.Image, `${file}: an animation of ${header.animation.frames} frames of ${header.width}×${header.height} is too big to filter whole within --memory, and only single images stream in bands; raise --memory`);
    }
    return { header, target, plan };
  }

  /** The file name `input`'s output gets (`--name`, `--suffix`, `--format`). */
  outputName(input: string): string {
    return outputName(input, this.config.outputOptions, this.filter.name);
  }

  private async processOne(file: string, outDir: string, stages: StageTimes, options: RunOptions, temp: RunTemp, inputs: ReadonlySet<string>): Promise<ImageResult> {
    const t0 = performance.now();
    try {
      await checkInputLink(file, this.config.followSymlinks);
      const out = join(outDir, this.outputName(file));
      await guardOutput(out, file, inputs);
      const { header, target, plan } = await this.admit(file);
      const outcome =
        plan.mode === 'whole'
          ? await processWhole(this.jobs, file, header, plan, out, target, stages, options.onPixels)
          : await processStreamed(this.jobs, file, header, plan, out, target, stages, temp, (done, total) => options.onBand?.({ input: file, done, total }));
      return { ...resultOf(file, header, target, outcome, plan), output: out, ms: performance.now() - t0 };
    } catch (err) {
      return { input: file, error: errorMessage(err), ms: performance.now() - t0 };
    }
  }

  /**
   * Processes one encoded image held in memory into encoded bytes, exactly as `run` would
   * write it for a file of those bytes (a queue worker's job: no temporary files). Resolves
   * with undefined, doing nothing, for an image big enough to stream in bands: run that one
   * from a file. Never throws for a bad image: the result carries the error.
   * @param name names the image in the result and in errors, as `run` names a file
   */
  async runInMemory(input: Uint8Array, name: string): Promise<{ result: ImageResult; output?: Buffer } | undefined> {
    const t0 = performance.now();
    try {
      const { header, target, plan } = await this.admit(name, input);
      if (plan.mode !== 'whole') return undefined;
      await this.executor.ready?.();
      const memory: InMemory = { input };
      const outcome = await processWhole(this.jobs, name, header, plan, '', target, emptyStages(), undefined, memory);
      return { result: { ...resultOf(name, header, target, outcome, plan), ms: performance.now() - t0 }, output: memory.output };
    } catch (err) {
      return { result: { input: name, error: errorMessage(err), ms: performance.now() - t0 } };
    }
  }

  /**
   * Filters raw RGBA8 pixels (rows packed) and returns a new buffer with the result:
   * the same tiles, strategy and threads as a file run, without decoding or encoding.
   * A large image goes through in bands, so padding one band, filtering another and
   * copying out a third overlap. Under `copy` and `shared` the result is backed by a
   * SharedArrayBuffer (the threads write into it).
   * @param label names the image in errors
   * @throws TesseraError FilterTrap naming the tile
   */
  async filterPixels(rgba: Uint8Array, width: number, height: number, label = 'pixels'): Promise<Uint8Array> {
    if (rgba.length !== width * height * 4) {
      throw new TesseraError(ErrorCode.Usage, `expected ${width * height * 4} bytes of RGBA for ${width}×${height}, got ${rgba.length}`);
    }
    if (this.remote) return (await this.remote).filterPixels(rgba, width, height, label);
    await this.executor.ready?.();
    const plan = this.planFor(width, height, label, { streamAbovePixels: 0 });
    if (plan.mode !== 'bands') throw new Error('unreachable: pixels in memory always go through in bands');
    // Threads in this process copy their tiles' results straight into the output (a
    // SharedArrayBuffer): the copy, and the page faults of a fresh buffer, run in parallel
    // rather than on this thread after every band. Filter processes and the queue cannot.
    const threads = (this.strategy === 'copy' || this.strategy === 'shared') && this.config.backend === 'local';
    const out = new Uint8Array(threads ? new SharedArrayBuffer(width * height * 4) : new ArrayBuffer(width * height * 4));
    await runBands(
      this.jobs,
      {
        width, height, halo: this.halo, bandRows: plan.bandRows, depth: plan.depth, budget: this.budget, bandBytes: plan.bandBytes, label,
        direct: threads ? { buffer: out.buffer as SharedArrayBuffer, width } : undefined,
      },
      rowsFromMemory(rgba, width),
      (band, rows) => out.set(rows, band.y0 * width * 4),
      emptyStages(),
    );
    return out;
  }

  /**
   * Starts the threads now rather than with the first run (a `tessera worker` warms a run's
   * session while the coordinator is still sending its first image).
   */
  prepare(): void {
    this.executor.start?.();
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.remote?.then((r) => r.close(), () => {});
    await this.executor.close();
    await this.host.close();
  }
}
