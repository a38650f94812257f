import type { MachineInfo } from '../machine.js';

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
  level: 'process' | 'instance' | 'pooled';
  samples: number;
  medianMs: number;
  p99Ms: number;
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
  notes: string[];
}
