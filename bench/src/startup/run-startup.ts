/**
 * `tessera bench startup`: what a sandbox costs to start and to hold — compile (cold,
 * baseline-only, optimizing-only, from tessera's cache), instantiate, first call, a
 * unit of work at three isolation levels, memory per instance, artifact sizes.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CopyTileRunner } from 'tessera/internal/strategies/copy';
import type { RunnerInit } from 'tessera/internal/strategies/types';
import { builtinFilterNames, compileCached, contentHash, loadFilter } from 'tessera/internal/filter/filter-module';
import { resolveParams } from 'tessera/internal/filter/params';
import { ErrorCode, TesseraError } from 'tessera/internal/errors';
import { BUILTIN_FILTER_DIR } from 'tessera/internal/filter/artifacts';
import { machineInfo } from '../machine.js';
import { median, quantile } from '../stats.js';
import type { IsolationCost, ModuleStartup, StartupReport } from './types.js';
import { measureExtism } from './extism.js';
import { isolationTile, TILE_SIDE, type IsolationTile } from './isolation-tile.js';
import { freshProcess, measureFreshLevels } from './containers/fresh-sandboxes.js';
import { measureContainers } from './containers/measure-containers.js';

const run = promisify(execFile);
const PROBE = fileURLToPath(new URL('./probe.js', import.meta.url));

/** Options of {@link runStartupBench}. */
export interface StartupOptions {
  /** @defaultValue every built-in */
  filters?: string[];
  /** Tiles per in-process isolation level. @defaultValue 1000 */
  tiles?: number;
  /** Fresh processes for the process-per-tile level. @defaultValue 40 */
  processes?: number;
  /** Live instances for the memory measurement. @defaultValue 1000 */
  instances?: number;
  /** Also measure wasm-vips' 5 MB module (~10 s: its optimizing compile takes ~2 s a process). @defaultValue true */
  largeModule?: boolean;
  /** Also measure tessera's filters as an Extism plugin (`startup/extism.ts`, ~15 s). @defaultValue true */
  extism?: boolean;
  /** Timed calls per Extism path and step (each ~5–10 ms). @defaultValue 300 */
  extismCalls?: number;
  /** Also measure containers beside WebAssembly (`startup/containers/`: bwrap and runc levels, holding cost, image size, pipe in containers; ~1 min). @defaultValue true */
  containers?: boolean;
  /** Fresh bwrap sandboxes and runc containers per level, after one cold start each. @defaultValue 40 */
  sandboxStarts?: number;
  /** Idle sandboxes of each kind held at once for the holding cost. @defaultValue 10 */
  idleSandboxes?: number;
  /** Images of the bench's set for pipe in containers, and timed rounds over them; 0 rounds skips those rows. @defaultValue 24 images, 5 rounds */
  pipeImages?: number;
  pipeRounds?: number;
  onStep?: (label: string) => void;
}

/** V8 compiles big modules lazily (function by function, on first call); these flags compile everything up front with one tier. */
const LIFTOFF = ['--liftoff-only', '--no-wasm-lazy-compilation'];
const TURBOFAN = ['--no-liftoff', '--no-wasm-lazy-compilation'];

async function probe(file: string, flags: string[], compileOnly = false): Promise<{ compileMs: number; instantiateMs?: number; firstCallMs?: number; tileMs?: number }> {
  const { stdout } = await run(process.execPath, [...flags, PROBE, file, ...(compileOnly ? ['compile-only'] : [])], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/** Median of three fresh-process probes: start-up figures are noisy. */
async function probe3(file: string, flags: string[], compileOnly = false) {
  const runs = [await probe(file, flags, compileOnly), await probe(file, flags, compileOnly), await probe(file, flags, compileOnly)];
  const pick = (k: 'compileMs' | 'instantiateMs' | 'firstCallMs' | 'tileMs') => median(runs.map((r) => r[k] ?? NaN));
  return { compileMs: pick('compileMs'), instantiateMs: pick('instantiateMs'), firstCallMs: pick('firstCallMs'), tileMs: pick('tileMs') };
}

/**
 * A worker's start from the cache: the compiled Module posted to a running worker thread,
 * which answers once it holds it (V8 shares the compiled code; nothing is recompiled).
 */
async function handoffMs(module: WebAssembly.Module): Promise<number> {
  const worker = new Worker(
    "require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(WebAssembly.Module.exports(m).length))",
    { eval: true },
  );
  let failure: Error | undefined;
  worker.on('error', (err) => (failure = err));
  try {
    const once = () =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        worker.once('message', () => resolve());
        worker.postMessage(module);
      });
    for (let i = 0; i < 5; i++) await once();
    const samples: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await once();
      samples.push(performance.now() - t);
    }
    return median(samples);
  } finally {
    await worker.terminate();
  }
}

function cachedMs(bytes: Uint8Array): number {
  compileCached(bytes); // the cold compile is measured in a fresh process; this fills the cache
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    compileCached(bytes, contentHash(bytes));
    samples.push(performance.now() - t);
  }
  return median(samples);
}

async function moduleStartup(name: string): Promise<ModuleStartup> {
  const file = join(BUILTIN_FILTER_DIR, `${name}.wasm`);
  const bytes = readFileSync(file);
  const cold = await probe3(file, []);
  const liftoff = await probe3(file, LIFTOFF);
  const turbofan = await probe3(file, TURBOFAN);
  return {
    filter: name,
    bytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: 9 }).length,
    compileColdMs: cold.compileMs,
    liftoff: { compileMs: liftoff.compileMs, tileMs: liftoff.tileMs },
    turbofan: { compileMs: turbofan.compileMs, tileMs: turbofan.tileMs },
    cachedMs: cachedMs(bytes),
    handoffMs: await handoffMs(compileCached(bytes)),
    instantiateMs: cold.instantiateMs,
    firstCallMs: cold.firstCallMs,
  };
}

/** One isolation level in process: the tile copied in, filtered and copied out by a copy runner; also its output, which every other level must equal. */
function inProcessIsolation(tile: IsolationTile, level: 'instance' | 'pooled', tiles: number, expected?: Uint8Array): { cost: IsolationCost; output: Uint8Array } {
  const module = loadFilter(tile.filter);
  const init: RunnerInit = { strategy: 'copy', filterName: tile.filter, variant: module.plain, maxMemoryPages: 4096, params: tile.params, halo: tile.halo, isolation: level };
  const runner = new CopyTileRunner(init);
  const dst = new SharedArrayBuffer(TILE_SIDE * TILE_SIDE * 4);
  const task = { width: TILE_SIDE, height: TILE_SIDE, src: tile.src, srcOffset: tile.layout.origin, srcStride: tile.layout.stride, dst, dstOffset: 0, dstStride: TILE_SIDE * 4 };
  for (let i = 0; i < 50; i++) runner.run(task);
  const output = new Uint8Array(dst).slice();
  const samples: number[] = [];
  for (let i = 0; i < tiles; i++) {
    const t = performance.now();
    runner.run(task);
    samples.push(performance.now() - t);
  }
  const verified = Buffer.from(new Uint8Array(dst)).equals(output) && (!expected || Buffer.from(output).equals(expected));
  return { cost: { level, samples: tiles, medianMs: median(samples), p99Ms: quantile(samples, 0.99), verified }, output };
}

async function freshNodeRssMb(): Promise<number> {
  const { stdout } = await run(process.execPath, ['-e', 'process.stdout.write(String(process.memoryUsage().rss))']);
  return Number(stdout) / 2 ** 20;
}

/** Resident bytes per live instance (one 64 KiB page touched), measured in a fresh process with a forced GC around it. */
async function memoryPerInstance(filter: string, count: number): Promise<{ bytesPerInstance: number; linearBytes: number; engineBytes: number }> {
  const { stdout } = await run(process.execPath, ['--expose-gc', PROBE, join(BUILTIN_FILTER_DIR, `${filter}.wasm`), 'memory', String(count)], { maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { bytesPerInstance: number; engineBytes: number };
  return { bytesPerInstance: r.bytesPerInstance, engineBytes: r.engineBytes, linearBytes: r.bytesPerInstance - r.engineBytes };
}

function artifacts(): StartupReport['artifacts'] {
  const out: StartupReport['artifacts'] = [];
  for (const f of readdirSync(BUILTIN_FILTER_DIR).filter((n) => n.endsWith('.wasm')).sort()) {
    const bytes = readFileSync(join(BUILTIN_FILTER_DIR, f));
    out.push({ name: `tessera ${f}`, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length });
  }
  const require = createRequire(import.meta.url);
  // sharp's native parts: the libvips shared library and sharp's own addon, per platform.
  const platform = `${process.platform}-${process.arch}`;
  for (const [pkg, label] of [[`@img/sharp-libvips-${platform}`, 'libvips'], [`@img/sharp-${platform}`, 'addon']] as const) {
    try {
      const libDir = join(dirname(require.resolve(`${pkg}/package`)), 'lib');
      for (const f of readdirSync(libDir).filter((n) => /\.(so(\.|$)|node$|dylib$|dll$)/.test(n)).sort()) {
        const bytes = readFileSync(join(libDir, f));
        out.push({ name: `sharp ${label}: ${f}`, bytes: bytes.length, gzipBytes: gzipSync(bytes).length });
      }
    } catch {
      // not installed for this platform
    }
  }
  try {
    const vips = join(dirname(require.resolve('wasm-vips')), 'vips.wasm');
    if (existsSync(vips)) out.push({ name: 'wasm-vips vips.wasm', bytes: statSync(vips).size, gzipBytes: gzipSync(readFileSync(vips)).length });
  } catch {
    // wasm-vips not installed
  }
  return out;
}

/** Runs every start-up measurement. */
export async function runStartupBench(options: StartupOptions = {}): Promise<StartupReport> {
  const builtins = builtinFilterNames();
  const filters = options.filters ?? builtins;
  for (const f of filters) {
    if (!builtins.includes(f)) throw new TesseraError(ErrorCode.Usage, `unknown filter "${f}" for the start-up bench; built-ins: ${builtins.join(', ')}`);
  }
  if (!filters.length) throw new TesseraError(ErrorCode.Usage, 'the start-up bench needs at least one filter');
  const step = options.onStep ?? (() => {});
  const modules: ModuleStartup[] = [];
  for (const name of filters) {
    step(`compile and first call: ${name}`);
    modules.push(await moduleStartup(name));
  }
  let largeModule: StartupReport['largeModule'];
  if (options.largeModule !== false) try {
    const require = createRequire(import.meta.url);
    const file = join(dirname(require.resolve('wasm-vips')), 'vips.wasm');
    step('compile: wasm-vips vips.wasm (large module)');
    const bytes = readFileSync(file);
    const cold = await probe3(file, [], true);
    const lo = await probe3(file, LIFTOFF, true);
    const tf = await probe3(file, TURBOFAN, true);
    largeModule = {
      name: 'wasm-vips vips.wasm',
      bytes: bytes.length,
      gzipBytes: gzipSync(bytes).length,
      compileColdMs: cold.compileMs,
      liftoffCompileMs: lo.compileMs,
      turbofanCompileMs: tf.compileMs,
      cachedMs: cachedMs(bytes),
      handoffMs: await handoffMs(compileCached(bytes)),
    };
  } catch {
    // wasm-vips missing: no large module
  }
  const isolationFilter = filters.includes('grayscale') ? 'grayscale' : filters[0];
  step('isolation: pooled instance, fresh instance, fresh process');
  const tile = isolationTile(isolationFilter);
  const pooled = inProcessIsolation(tile, 'pooled', options.tiles ?? 1000);
  const isolation = [pooled.cost, inProcessIsolation(tile, 'instance', options.tiles ?? 1000, pooled.output).cost];
  const processLevel = () => measureFreshLevels([{ level: 'process', start: freshProcess(join(BUILTIN_FILTER_DIR, `${isolationFilter}.wasi.wasm`)), count: options.processes ?? 40 }], tile, { expected: pooled.output });
  let containers: StartupReport['containers'];
  const containerNotes: string[] = [];
  // With containers, the fresh-process level is timed in rounds interleaved with the bwrap and runc ones.
  if (options.containers !== false) {
    try {
      const measured = await measureContainers({
        filter: isolationFilter,
        tile,
        expected: pooled.output,
        starts: options.sandboxStarts,
        processStarts: options.processes ?? 40,
        idle: options.idleSandboxes,
        instances: options.instances,
        pipe: options.pipeRounds !== 0,
        pipeImages: options.pipeImages,
        pipeRounds: options.pipeRounds,
        onStep: step,
      });
      if (!measured.levels.some((l) => l.level === 'process')) isolation.push(...(await processLevel()));
      isolation.push(...measured.levels);
      containers = measured.report;
      containerNotes.push(
        'Containers (issue 17): "bwrap" runs the same filter process in a fresh bubblewrap sandbox (every namespace unshared, network only lo, read-only binds of Node, its libraries, the runner and the .wasi.wasm, uid 65534, no capabilities, --die-with-parent); "runc" in a fresh OCI container (a rootfs holding copies of those files, config.json from `runc spec`: read-only root, own network namespace with only lo, no terminal, uid 65534, no capabilities), timed from `runc run` to its exit, `runc delete --force` after each, untimed. "First start (cold)" is the first of its level in this run; the page cache is not dropped (that would hit the whole machine), so Node\'s binary is usually cached already — the rootfs copy was just written. Holding cost, image size and pipe inside containers: see "Containers beside WebAssembly".',
      );
    } catch (err) {
      containerNotes.push(`Container rows not measured: ${(err as Error).message}`);
    }
  }
  if (!isolation.some((l) => l.level === 'process')) isolation.splice(2, 0, ...(await processLevel()));
  step('memory per instance');
  const count = options.instances ?? 1000;
  const perInstance = await memoryPerInstance(isolationFilter, count);
  let extism: StartupReport['extism'];
  const extismNotes: string[] = [];
  if (options.extism !== false) {
    try {
      extism = await measureExtism({ calls: options.extismCalls, tiles: options.tiles, processes: Math.min(options.processes ?? 40, 5), onStep: step });
      extismNotes.push(
        'Extism: tessera\'s grayscale and gaussian-blur sources compiled as one Extism plugin (AssemblyScript PDK) and run by the Extism JS SDK. A call\'s input and output stay in JavaScript; the plugin reads the input with the host function input_load_u64 and writes its output with store_u64, 8 bytes and one WebAssembly → JavaScript call (i64 arguments and results: BigInts) each. The steps are the plugin\'s probe exports, each a plugin.call of its own (fixed cost, input, filter, output). tessera\'s copy path moves the same tile with two memcpys.',
      );
    } catch (err) {
      extismNotes.push(`Extism rows not measured: ${(err as Error).message}`);
    }
  }
  return {
    tool: 'tessera',
    date: new Date().toISOString(),
    machine: machineInfo(),
    modules,
    ...(largeModule ? { largeModule } : {}),
    isolation,
    isolationFilter,
    memory: { instances: count, ...perInstance, instancesPerGiB: Math.floor(2 ** 30 / perInstance.bytesPerInstance), freshNodeRssMb: await freshNodeRssMb() },
    artifacts: artifacts(),
    ...(extism ? { extism } : {}),
    ...(containers ? { containers } : {}),
    notes: [
      'Compile times come from fresh processes (median of 3). "Cold" is V8\'s default, which compiles big modules lazily (functions on first call); the Liftoff and TurboFan columns compile every function up front with one tier (--liftoff-only / --no-liftoff with --no-wasm-lazy-compilation, per-process flags).',
      "The cache is tessera's in-process one: BLAKE2b of the bytes and a Map lookup (\"from cache\"), then the compiled Module is posted to each worker thread (\"to a worker\"), which shares V8's compiled code instead of recompiling — that hand-off is a worker's whole start. Node 20 has no on-disk compiled-module cache: v8.serialize of a WebAssembly.Module does not round-trip (nodejs/node#18265, #36671), so every new process compiles again.",
      'Isolation levels time one 256×256 tile copied in, filtered and copied out; "process" is spawn + one frame through a WASI filter process + exit (after one cold start, reported apart). Every fresh process, sandboxed or not, gets PATH as its only environment variable (a machine\'s NODE_OPTIONS or NODE_EXTRA_CA_CERTS would change what a Node start costs). Every level\'s output is compared with the pooled instance\'s, bit for bit.',
      'Memory per instance: RSS growth of a fresh process while N instances are alive, each with its own one-page memory, after touching that whole 64 KiB page (\"engine\" is the growth before touching it). A filter at work touches more: a 256×256 tile in and out is ~512 KiB. Each memory also reserves ~10 GiB of address space for its guard regions, so one process holds about 13,000 before allocation fails, whatever the RAM.',
      ...extismNotes,
      ...containerNotes,
    ],
  };
}
