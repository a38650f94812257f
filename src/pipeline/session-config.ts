/**
 * Checking a session's options, apart from doing the work (sharp's habit): every
 * option is validated and defaulted here, with errors that name the option and its
 * range; the session trusts what this returns.
 */
import { checkOutputOptions, type OutputOptions } from '../io/output-spec.js';
import type { ReadOptions } from '../io/decode.js';
import { usableCpus } from './cpu-count.js';
import { ErrorCode, TesseraError } from '../errors.js';
import type { ThreadStart } from '../executors/types.js';
import {
  BAND_TARGET_BYTES,
  BANDS_IN_FLIGHT,
  DEFAULT_FILTER_MEMORY_MB,
  DEFAULT_STREAM_ABOVE_PIXELS,
  defaultMemoryMb,
  DEFAULT_IMAGES_IN_FLIGHT,
  DEFAULT_MAX_PIXELS,
  DEFAULT_TILE_SIZE,
  DEFAULT_TILE_TIMEOUT_MS,
  QUEUE_IMAGES_IN_FLIGHT,
} from './defaults.js';
import { STRATEGIES, type Isolation, type StrategyName } from '../strategies/types.js';
import { PAGE } from '../filter/abi.js';
import { filterGeometry, loadFilter, type FilterModule, type FilterVariant } from '../filter/filter-module.js';
import { resolveParams, type ParamInput } from '../filter/params.js';
import { inspectWasmBinary } from '../filter/binary.js';
import { readFileSync } from 'node:fs';

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
  /** Threads filtering tiles: 1 runs inline on the calling thread. @defaultValue the CPUs this process may use (cores, lowered to its cgroup quota) */
  workers?: number;
  /** Tile edge in pixels (≥ 1). @defaultValue 256 */
  tileSize?: number;
  /** Refuse images with more pixels than this, from the header, before decoding. @defaultValue 1073741824 (2³⁰, 32768²) */
  maxPixels?: number;
  /**
   * Bound on the pixel bytes decoded, filtered and waiting to be encoded at once, in
   * MiB. An image that does not fit waits for memory; one that can never fit whole
   * streams in bands. @defaultValue a quarter of the machine's memory, 256 MiB–4 GiB
   */
  memoryMb?: number;
  /**
   * Images with more pixels than this are never whole in memory: decoded to a
   * temporary file, filtered band by band, encoded from another. @defaultValue 4194304 (2048²)
   */
  streamAbovePixels?: number;
  /** Read inputs that are symbolic links (never writing an output onto an input's real path). @defaultValue false: a link fails with a line saying so */
  followSymlinks?: boolean;
  /** Rows per band of a streamed image (any size ≥ 1; forcing it also streams every image). @defaultValue about 32 MiB of pixels, a multiple of the tile size */
  bandRows?: number;
  /** Cap on each private filter memory (`copy`), MiB. @defaultValue 256 */
  filterMemoryMb?: number;
  /** Per-tile deadline in ms: an overrunning tile's thread or process is stopped and replaced, and the image fails. @defaultValue 10000 */
  tileTimeoutMs?: number;
  /**
   * When the worker threads of a built-in filter start: `on-demand` runs tiles on the
   * calling thread while it keeps up, and starts the threads when queued tiles would keep it
   * busy for more than ~100 ms (a folder of photos never pays the ~50–100 ms a pool takes to
   * start; one big image starts it at once); `eager` starts them with the first decodes. User filters always run in threads (where a deadline can stop them), started eagerly.
   * @defaultValue 'on-demand'
   */
  threadStart?: ThreadStart;
  /** Images in flight at once (at least the worker count); over the queue, images enqueued at once. @defaultValue 8; over the queue 32 */
  imagesInFlight?: number;
  /**
   * Where tiles run: `local` (this process) or `queue` (BullMQ on Redis, served by
   * `tessera worker` processes; pixels travel as bytes, so the host strategy is `copy`
   * and each worker runs tiles with its own `--strategy`). @defaultValue 'local'
   */
  backend?: 'local' | 'queue';
  /** Redis URL for `backend: 'queue'`, e.g. `redis://127.0.0.1:6379`, `redis://user:pass@host:6379`, `rediss://host:6380` (TLS). */
  redis?: string;
  /**
   * `backend: 'queue'`: a secret shared with the workers; jobs and results are authenticated
   * with it (HMAC-SHA256), so a party that can write to Redis cannot alter pixels. At least
   * 16 characters. @defaultValue process.env.TESSERA_SECRET
   */
  secret?: string;
  /**
   * `backend: 'queue'`: storage every machine mounts at some path (e.g. NFS); inputs and
   * outputs must be inside it and travel as paths relative to it rather than as bytes
   * through Redis. Each worker is given its own mount point (`tessera worker --shared-dir`).
   */
  sharedDir?: string;
  /** How outputs are written and named (format, quality, PNG level, metadata, name pattern). @defaultValue the input's format, sharp's settings, metadata kept, the input's name */
  outputOptions?: OutputOptions;
  /** Keep pixels as stored and the EXIF orientation tag with them, instead of turning the image upright as it is shown. @defaultValue false */
  keepOrientation?: boolean;
  /**
   * `backend: 'queue'`: images with more pixels than this are split into band jobs that run
   * on every worker at once, this process decoding and encoding them, streamed, never whole.
   * It pays when the filter, not the codecs, is most of an image's work: PNG decoding and
   * encoding are one stream each and stay here. Without it only an image whose file is too
   * big to travel through Redis (256 MiB) is split; the others are one job each, decoded and
   * encoded on a worker. @defaultValue undefined
   */
  splitAbovePixels?: number;
  /**
   * Keep the calling thread's event loop free: never run filter code on it, even for a
   * built-in filter with one worker (a `tessera worker` renews its job locks there). @defaultValue false
   */
  offLoop?: boolean;
}

/** Options checked and defaulted. */
export interface SessionConfig {
  filter: FilterModule;
  strategy: StrategyName;
  isolation: Isolation;
  backend: 'local' | 'queue';
  redis?: string;
  secret?: string;
  sharedDir?: string;
  filterMemoryMb: number;
  offLoop: boolean;
  workers: number;
  tileSize: number;
  maxPixels: number;
  memoryBytes: number;
  streamAbovePixels: number;
  splitAbovePixels?: number;
  outputOptions: OutputOptions;
  read: ReadOptions;
  bandRows?: number;
  followSymlinks: boolean;
  bandTargetBytes: number;
  bandsInFlight: number;
  /** `shared`: scratch bytes of a full tile. */
  scratchBytes: number;
  maxMemoryPages: number;
  imagesInFlight: number;
  tileTimeoutMs: number;
  threadStart: ThreadStart;
  /** i32 values p0..p3. */
  params: number[];
  /** Param values as the user sees them, by name. */
  paramValues: Record<string, number>;
  halo: number;
  /** The compiled form the strategy runs. */
  variant: FilterVariant;
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new TesseraError(ErrorCode.Usage, `Expected an integer >= ${min} for ${name} but received ${value}`);
  }
}

/**
 * The WASI command form runs under `node:wasi`, which caps nothing: its memory's declared
 * maximum is the only cap, so it must have one within `--filter-memory`.
 * @throws TesseraError FilterInvalid naming the file, its maximum and the cap
 */
function checkCommandMemory(path: string, filterMemoryMb: number): void {
  const info = inspectWasmBinary(readFileSync(path));
  const limits = info.definedMemory ?? info.importedMemory;
  const maxPages = Math.ceil((filterMemoryMb * 2 ** 20) / PAGE);
  if (!limits || limits.maximum === undefined || limits.maximum > maxPages) {
    const declared = !limits ? 'no memory' : limits.maximum === undefined ? 'a memory with no maximum' : `a memory of up to ${(limits.maximum * PAGE) / 2 ** 20} MiB`;
    throw new TesseraError(
      ErrorCode.FilterInvalid,
      `${path}: the WASI command form declares ${declared}, and node:wasi caps nothing else, so --filter-memory ${filterMemoryMb} MiB cannot hold it. Possible solutions:\n- declare a maximum of at most ${maxPages} pages (AssemblyScript: --maximumMemory ${maxPages}; clang/Rust: -Wl,--max-memory=${maxPages * PAGE})\n- raise --filter-memory\n- use --strategy copy or shared`,
    );
  }
}

/**
 * Validates and defaults session options; loads (and so validates) the filter.
 * @throws TesseraError naming the option, param or filter at fault
 */
export function resolveSessionConfig(options: SessionOptions): SessionConfig {
  const filter = typeof options.filter === 'string' ? loadFilter(options.filter) : options.filter;
  const workers = options.workers ?? usableCpus();
  const tileSize = options.tileSize ?? DEFAULT_TILE_SIZE;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const filterMemoryMb = options.filterMemoryMb ?? DEFAULT_FILTER_MEMORY_MB;
  checkInt('workers', workers, 1);
  checkInt('tileSize', tileSize, 1);
  checkInt('maxPixels', maxPixels, 1);
  checkInt('filterMemoryMb', filterMemoryMb, 1);
  const memoryMb = options.memoryMb ?? defaultMemoryMb();
  checkInt('memoryMb', memoryMb, 1);
  const streamAbovePixels = options.streamAbovePixels ?? DEFAULT_STREAM_ABOVE_PIXELS;
  checkInt('streamAbovePixels', streamAbovePixels, 0);
  if (options.bandRows !== undefined) checkInt('bandRows', options.bandRows, 1);
  const splitAbovePixels = options.splitAbovePixels;
  if (splitAbovePixels !== undefined) checkInt('splitAbovePixels', splitAbovePixels, 0);
  // Over the queue an image in flight is a job waiting for some worker's threads: enough for a cluster.
  const imagesInFlight = options.imagesInFlight ?? (options.backend === 'queue' ? QUEUE_IMAGES_IN_FLIGHT : Math.max(DEFAULT_IMAGES_IN_FLIGHT, workers));
  checkInt('imagesInFlight', imagesInFlight, 1);
  const backend = options.backend ?? 'local';
  if (backend !== 'local' && backend !== 'queue') throw new TesseraError(ErrorCode.Usage, `unknown backend "${String(backend)}"; valid: local, queue`);
  if (backend === 'queue' && options.strategy && options.strategy !== 'copy') {
    throw new TesseraError(ErrorCode.Usage, `with --backend queue tiles travel as bytes (the copy host); choose how workers run them with \`tessera worker --strategy\`, not --strategy ${options.strategy}`);
  }
  const strategy = options.strategy ?? (backend === 'queue' ? 'copy' : filter.shared ? 'shared' : 'copy');
  if (!STRATEGIES.includes(strategy)) {
    throw new TesseraError(ErrorCode.Usage, `unknown strategy "${String(strategy)}"; valid strategies: ${STRATEGIES.join(', ')}`);
  }
  const isolation = options.isolation ?? 'pooled';
  if (isolation !== 'pooled' && isolation !== 'instance') {
    throw new TesseraError(ErrorCode.Usage, `unknown isolation "${String(isolation)}"; valid: pooled, instance`);
  }
  if (isolation === 'instance' && strategy !== 'copy') {
    throw new TesseraError(ErrorCode.Usage, `--isolation instance applies to the copy strategy only, not ${strategy}`);
  }
  if (strategy === 'shared' && !filter.shared) {
    throw new TesseraError(
      ErrorCode.Usage,
      `filter ${filter.name} cannot use the shared strategy: its module does not import a shared env.memory; use --strategy copy`,
    );
  }
  if ((strategy === 'pipe' || strategy === 'disk') && !filter.command) {
    throw new TesseraError(
      ErrorCode.Usage,
      `filter ${filter.name} has no WASI command form (${filter.builtin ? `${filter.name}.wasi.wasm` : 'FILE.wasi.wasm next to FILE.wasm'}) for the ${strategy} strategy; build it with scripts/build-filters.mjs (AssemblyScript) or scripts/build-native-filter.mjs (C, Rust), or use --strategy copy or shared`,
    );
  }
  if (strategy === 'pipe' || strategy === 'disk') checkCommandMemory(filter.command!, filterMemoryMb);
  const params = resolveParams(filter.manifest, options.params);
  const paramValues = Object.fromEntries(filter.manifest.params.map((p, i) => [p.name, params[i] / p.scale]));
  // One probe (a thread under a deadline, for a user's filter) answers both.
  const { halo, scratchBytes } = filterGeometry(filter, params, strategy === 'shared' ? tileSize : undefined);
  if (scratchBytes > filterMemoryMb * 2 ** 20) {
    throw new TesseraError(
      ErrorCode.FilterInvalid,
      `${filter.source === 'built-in' ? filter.name : filter.source}: asks for ${Math.ceil(scratchBytes / 2 ** 20)} MiB of scratch per ${tileSize}×${tileSize} tile, over --filter-memory ${filterMemoryMb} MiB; lower --tile or raise --filter-memory`,
    );
  }
  const variant = strategy === 'shared' ? filter.shared! : filter.plain;
  const maxMemoryPages = Math.ceil((filterMemoryMb * 1024 * 1024) / PAGE);
  if (variant.memory === 'exported' && (variant.limits.maximum === undefined || variant.limits.maximum > maxMemoryPages)) {
    // A memory the module defines itself can only be capped by its own declared maximum.
    throw new TesseraError(
      ErrorCode.FilterInvalid,
      `${filter.source}: defines its own memory with ${variant.limits.maximum === undefined ? 'no maximum' : `a maximum of ${variant.limits.maximum} pages`}, so --filter-memory ${filterMemoryMb} MiB cannot cap it. Possible solutions:\n- import the memory as env.memory instead (AssemblyScript: --importMemory; Rust/clang: -Wl,--import-memory)\n- declare a maximum of at most ${maxMemoryPages} pages`,
    );
  }
  const tileTimeoutMs = options.tileTimeoutMs ?? DEFAULT_TILE_TIMEOUT_MS;
  const threadStart = options.threadStart ?? 'on-demand';
  if (threadStart !== 'on-demand' && threadStart !== 'eager') {
    throw new TesseraError(ErrorCode.Usage, `unknown threadStart "${String(threadStart)}"; valid: on-demand, eager`);
  }
  checkInt('tileTimeoutMs', tileTimeoutMs, 1);
  return {
    filter, strategy, isolation, backend, redis: options.redis, secret: backend === 'queue' ? options.secret : undefined, sharedDir: options.sharedDir, filterMemoryMb, offLoop: options.offLoop === true, workers, tileSize, maxPixels, maxMemoryPages,
    memoryBytes: memoryMb * 2 ** 20, streamAbovePixels, splitAbovePixels, outputOptions: checkOutputOptions({ ...options.outputOptions }), read: { keepOrientation: options.keepOrientation === true }, bandRows: options.bandRows, followSymlinks: options.followSymlinks === true, bandTargetBytes: BAND_TARGET_BYTES,
    bandsInFlight: BANDS_IN_FLIGHT, scratchBytes,
    imagesInFlight, tileTimeoutMs, threadStart, params, paramValues, halo, variant,
  };
}
