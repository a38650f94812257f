import type { MachineInfo } from '../machine.js';
import type { ContainersReport } from './containers/types.js';

/** Start-up figures of one filter module. */
export interface ModuleStartup {
  filter: string;
  bytes: number;
  gzipBytes: number;
  /** First `new WebAssembly.Module` in a fresh process (V8 defaults: Liftoff first, TurboFan in the background). */
  compileColdMs: number;
  /** Baseline compiler only (`--liftoff-only`), and the per-tile time it then runs at. */
  liftoff: { compileMs: number; tileMs: number };
  /** Optimizing compiler only (`--no-liftoff`). */
  turbofan: { compileMs: number; tileMs: number };
  /** tessera's compiled-module cache: BLAKE2b of the bytes + a map lookup, in this process. */
  cachedMs: number;
  /** Handing the compiled Module to a running worker thread (postMessage round trip): a worker's start without compiling. */
  handoffMs?: number;
  instantiateMs: number;
  firstCallMs: number;
}

/** Cost of one unit of work (one 256×256 tile) at one isolation level. */
export interface IsolationCost {
  /** `bwrap` and `runc` (issue 17): the filter process in a fresh bubblewrap sandbox, in a fresh runc container. */
  level: 'process' | 'instance' | 'pooled' | 'bwrap' | 'runc';
  /** Timed (warm) units; for the fresh-process levels after one cold start. */
  samples: number;
  medianMs: number;
  p99Ms: number;
  /** The fresh-process levels: the first start, timed apart from the warm ones. */
  coldMs?: number;
  /** The output equals the pooled instance's, bit for bit, every time (absent from files written before issue 17). */
  verified?: boolean;
}

/** One unit of work (or one step of one) timed over many calls. */
export interface CallTiming {
  samples: number;
  medianMs: number;
  p99Ms: number;
  /** Garbage collection that started during the calls (V8's `gc` performance entries), ms per call on average. */
  gcMsPerCall?: number;
}

/** One 256×256 tile of one filter: through the Extism plugin, and through tessera's copy and shared paths. */
export interface ExtismTileCosts {
  filter: string;
  params: number[];
  halo: number;
  /** Bytes the plugin reads (32-byte header + the tile with its halo) and writes (the tile's RGBA). */
  inputBytes: number;
  outputBytes: number;
  /** Host-function calls per tile: in (`input_length`, `input_load_u64` per 8 bytes), out (`alloc`, `store_u64` per 8 bytes, `output_set`). */
  hostCalls: { input: number; output: number };
  /** The input built from the padded image, `plugin.call`, the output copied into place, `plugin.reset()`. */
  extism: CallTiming;
  /** The same with the plugin written the PDK README's way (`Host.input()`, `Host.output()`, a garbage-collected heap). */
  extismPdk: CallTiming;
  /** tessera `copy`, pooled instance: the tile copied into linear memory, filtered, copied out. */
  copy: CallTiming;
  /** tessera `shared`: the filter on the image's own memory, nothing copied. */
  shared: CallTiming;
  /** The Extism call taken apart with the plugin's probe exports, each a `plugin.call` of its own. */
  steps: {
    /** An export that returns at once (same input passed): the call's fixed cost. */
    noop: CallTiming;
    /** Header and tile read into the plugin's memory, nothing written. */
    read: CallTiming;
    /** The filter on what `read` left in memory, no transfer. */
    filter: CallTiming;
    /** Header read, width·height·4 bytes written. */
    write: CallTiming;
  };
  /** Every path gave the same bytes. */
  verified: boolean;
}

/** Extism beside tessera (issue 14): per tile, per host call, and a plugin's creation. */
export interface ExtismStartup {
  /** `@extism/extism` version. */
  sdk: string;
  plugin: { bytes: number; gzipBytes: number };
  tiles: ExtismTileCosts[];
  /** A bare WebAssembly → JavaScript import call, per call: i32 in and out, i64 (BigInt) in and out. */
  hostCall: { i32: CallTiming; i64: CallTiming; calls: number };
  creation: {
    /** Fresh processes per figure below (median). */
    processes: number;
    /** Fresh process: `import('@extism/extism')`. */
    sdkImportMs: number;
    /** Fresh process: tessera's filter loader module imported. */
    tesseraImportMs: number;
    /** Fresh process, first of its kind: `createPlugin(bytes)` with the bytes as an ArrayBuffer — compile, instantiate, the SDK's call context. */
    pluginColdMs: number;
    /** The same with a manifest object (`{ wasm: [{ data }] }`), whose `instanceof Response` test makes Node load undici. */
    pluginColdManifestMs: number;
    /** Fresh process: tessera's two built-ins (grayscale, gaussian-blur) compiled and instantiated. */
    tesseraColdMs: number;
    /** In process, from the compiled module: `createPlugin(module)`. */
    pluginFromModule: CallTiming;
    /** In process, from the compiled module: tessera's `instantiateFilter` of grayscale. */
    tesseraInstantiate: CallTiming;
    /** A fresh plugin per tile: `createPlugin(module)` + one grayscale tile. */
    pluginPerTile: CallTiming;
    /** tessera `copy` with a fresh instance per tile (isolation `instance`), grayscale. */
    instancePerTile: CallTiming;
  };
}

/** startup.json (fields marked optional are absent from files written before they were measured) */
export interface StartupReport {
  tool: 'tessera';
  date: string;
  machine: MachineInfo;
  modules: ModuleStartup[];
  /** A large module (wasm-vips' libvips build) for compile-time scale: cold vs cached. */
  largeModule?: { name: string; bytes: number; gzipBytes?: number; compileColdMs: number; liftoffCompileMs: number; turbofanCompileMs: number; cachedMs: number; handoffMs?: number };
  isolation: IsolationCost[];
  /** Measured with `isolationFilter` on one tile, copied in and out as the copy strategy does. */
  isolationFilter: string;
  memory: {
    /** Instances alive at once during the measurement. */
    instances: number;
    /** Resident bytes per live instance: `linearBytes` + `engineBytes`. */
    bytesPerInstance: number;
    /** The touched linear-memory page (64 KiB) of each instance. */
    linearBytes?: number;
    /** Everything else: instance, memory object, the OS page its data segments are written to. */
    engineBytes?: number;
    instancesPerGiB: number;
    /** Resident memory of a fresh `node -e` process, for scale. */
    freshNodeRssMb: number;
  };
  artifacts: Array<{ name: string; bytes: number; gzipBytes?: number }>;
  /** Extism beside tessera (absent with `--no-extism`, and from files written before issue 14). */
  extism?: ExtismStartup;
  /** Containers beside WebAssembly (absent with `--no-containers`, and from files written before issue 17). */
  containers?: ContainersReport;
  notes: string[];
}
