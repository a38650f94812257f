/**
 * The start-up bench's Extism rows (issue 14): one 256×256 tile through the Extism plugin
 * (`plugin.call`; also its twin written the PDK README's way) against tessera's `copy` and
 * `shared` paths; the Extism call taken apart (fixed cost, input transfer, filter, output
 * transfer) with the plugin's probe exports; a bare WebAssembly → JavaScript call, the floor
 * under the SDK's per-8-byte host calls; and creating a plugin against creating a tessera
 * instance — cold in fresh processes, warm in this one, and per tile.
 *
 * Every path filters the same tile of the same padded image, and the outputs are compared.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Plugin } from '@extism/extism';
import { createStrategyHost, prepareFrom, type RunnerInit, type TileTask } from 'tessera/internal/strategies/index';
import { loadTileRunner } from 'tessera/internal/strategies/tile-runner';
import { paddedLayout, writePadded } from 'tessera/internal/tiling/padded-image';
import { copyRows } from 'tessera/internal/tiling/rows';
import { filterHalo, filterScratchBytes, instantiateFilter, loadFilter } from 'tessera/internal/filter/filter-module';
import { resolveParams } from 'tessera/internal/filter/params';
import { BUILTIN_FILTER_DIR } from 'tessera/internal/filter/artifacts';
import {
  callPlugin, createExtismPlugin, EXTISM_EXPORTS, EXTISM_PROBES, extismPdkPluginPath, extismPluginPath, extismSdkVersion, TileInputs,
  type ExtismFilterName,
} from '../peers/extism-plugin.js';
import { median, quantile } from '../stats.js';
import type { CallTiming, ExtismStartup, ExtismTileCosts } from './types.js';

const run = promisify(execFile);
const PROBE = fileURLToPath(new URL('./extism-probe.js', import.meta.url));
const TILE = 256;
/** The filters the plugin holds, with the params the bench uses (gaussian-blur at σ = 2). */
const FILTERS: ReadonlyArray<{ name: ExtismFilterName; params: Record<string, number> }> = [
  { name: 'grayscale', params: {} },
  { name: 'gaussian-blur', params: { sigma: 2 } },
];

/** Options of {@link measureExtism}. */
export interface ExtismBenchOptions {
  /** Timed calls per Extism path and step (~5–10 ms each). @defaultValue 300 */
  calls?: number;
  /** Timed tiles per tessera path (tens of µs each), interleaved with the Extism calls. @defaultValue 1000 */
  tiles?: number;
  /** Fresh processes per cold-creation figure. @defaultValue 5 */
  processes?: number;
  onStep?: (label: string) => void;
}

function timing(samples: number[], gcMs?: number): CallTiming {
  return { samples: samples.length, medianMs: median(samples), p99Ms: quantile(samples, 0.99), ...(gcMs === undefined ? {} : { gcMsPerCall: gcMs / samples.length }) };
}

/**
 * Collects V8's garbage collections while it runs, to charge each to the call it started in:
 * a host call's BigInts are garbage the moment it returns, so the Extism calls collect
 * far more often than tessera's paths, which allocate almost nothing.
 */
class GcLog {
  private readonly entries: PerformanceEntry[] = [];
  private readonly observer = new PerformanceObserver((list) => this.entries.push(...list.getEntries()));

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Stops collecting (after the observer's queued entries arrive) and returns ms of GC that started inside each window set. */
  async charge(windows: Map<string, Array<[number, number]>>): Promise<Map<string, number>> {
    await new Promise((resolve) => setImmediate(resolve));
    this.entries.push(...this.observer.takeRecords());
    this.observer.disconnect();
    const out = new Map<string, number>();
    for (const [key, list] of windows) {
      let ms = 0;
      for (const e of this.entries) if (list.some(([a, b]) => e.startTime >= a && e.startTime < b)) ms += e.duration;
      out.set(key, ms);
    }
    return out;
  }
}

/** Times `fn` `count` times after `warmup` untimed calls. */
async function sample(count: number, warmup: number, fn: () => unknown): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

/** Alternations between the Extism calls and tessera's paths. */
const PHASES = 5;

/** Phase `p`'s part of `total` samples (the parts add up to `total`). */
function share(total: number, phases: number, p: number): number {
  return Math.floor((total * (p + 1)) / phases) - Math.floor((total * p) / phases);
}

type StepKey = 'extism' | 'extismPdk' | 'copy' | 'shared' | keyof ExtismTileCosts['steps'];

/** Host calls the plugin makes to move `bytes`: one per 8 bytes, one per byte of the tail. */
function transferCalls(bytes: number): number {
  return Math.floor(bytes / 8) + (bytes % 8);
}

/** A 256×256 RGBA tile with texture in every channel, alpha included. */
function tilePixels(): Uint8Array {
  return new Uint8Array(TILE * TILE * 4).map((_, i) => (i * 31 + (i >> 10) * 7) & 255);
}

/** tessera's `copy` (pooled or fresh instance) or `shared` path on one tile: the runner, its task and where its output lands. */
async function tesseraPath(filter: string, params: number[], halo: number, rgba: Uint8Array, path: 'copy' | 'instance' | 'shared') {
  const module = loadFilter(filter);
  const shared = path === 'shared';
  const init: RunnerInit = {
    strategy: shared ? 'shared' : 'copy',
    filterName: filter,
    variant: shared ? module.shared! : module.plain,
    maxMemoryPages: 4096,
    params,
    halo,
    ...(shared ? { scratchBytes: filterScratchBytes(module, params, TILE), lanes: 1 } : { isolation: path === 'instance' ? ('instance' as const) : ('pooled' as const) }),
  };
  const host = createStrategyHost(init);
  const image = prepareFrom(host, rgba, paddedLayout(TILE, TILE, halo));
  const task: TileTask = host.task(image, { index: 0, x: 0, y: 0, width: TILE, height: TILE });
  const runner = await loadTileRunner(init);
  return { run: () => runner.run(task), output: () => host.output(image).slice() };
}

/** One filter's tile through every path, and the Extism call taken apart. */
async function tileCosts(plugin: Plugin, pdkPlugin: Plugin, name: ExtismFilterName, paramInput: Record<string, number>, calls: number, tiles: number): Promise<ExtismTileCosts> {
  const module = loadFilter(name);
  const params = resolveParams(module.manifest, paramInput);
  const halo = filterHalo(module, params);
  const rgba = tilePixels();
  const layout = paddedLayout(TILE, TILE, halo);
  const padded = new Uint8Array(layout.byteLength);
  writePadded(rgba, layout, padded, 0);
  const inputs = new TileInputs();
  const outBytes = TILE * TILE * 4;
  const result = new Uint8Array(outBytes);
  // What the peer does per tile: build the input from the padded image, call, copy the output into place.
  const extismTile = async (through = plugin, into = result) => {
    const input = inputs.encode(padded, layout.origin, layout.stride, TILE, TILE, halo, params);
    const out = (await callPlugin(through, EXTISM_EXPORTS[name], input, outBytes))!;
    copyRows(out, 0, TILE * 4, into, 0, TILE * 4, TILE * 4, TILE);
  };
  const pdkResult = new Uint8Array(outBytes);
  const input = inputs.encode(padded, layout.origin, layout.stride, TILE, TILE, halo, params);
  const extismSteps: Array<[StepKey, () => Promise<unknown>]> = [
    ['extism', () => extismTile()],
    ['extismPdk', () => extismTile(pdkPlugin, pdkResult)],
    ['noop', () => callPlugin(plugin, EXTISM_PROBES.noop, input, 0)],
    ['read', () => callPlugin(plugin, EXTISM_PROBES.read, input, 0)],
    // Runs on what the `read` just before it left in the plugin's memory.
    ['filter', () => callPlugin(plugin, EXTISM_PROBES.filter[name], undefined, 0)],
    ['write', () => callPlugin(plugin, EXTISM_PROBES.write, input, outBytes)],
  ];
  const copy = await tesseraPath(name, params, halo, rgba, 'copy');
  const shared = await tesseraPath(name, params, halo, rgba, 'shared');
  // Phases that alternate between the Extism calls and tessera's paths, so that a drift of
  // this shared machine (other processes on its two cores) hits both alike, while the
  // garbage the Extism calls make (BigInts, blocks) is collected in their own phase rather
  // than in tessera's µs-long tiles. Untimed rounds first: V8 tiers the code up.
  const tesseraSteps: Array<[StepKey, () => Promise<unknown>]> = [['copy', async () => copy.run()], ['shared', async () => shared.run()]];
  const samples = new Map([...extismSteps, ...tesseraSteps].map(([k]) => [k, [] as number[]]));
  const windows = new Map([...extismSteps, ...tesseraSteps].map(([k]) => [k as string, [] as Array<[number, number]>]));
  const round = async (list: typeof extismSteps, timed: boolean) => {
    for (const [k, fn] of list) {
      const t = performance.now();
      await fn();
      const end = performance.now();
      if (timed) {
        samples.get(k)!.push(end - t);
        windows.get(k)!.push([t, end]);
      }
    }
  };
  for (let i = 0; i < 20; i++) await round(extismSteps, false);
  for (let i = 0; i < 100; i++) await round(tesseraSteps, false);
  const gc = new GcLog();
  const phases = Math.min(PHASES, calls);
  for (let p = 0; p < phases; p++) {
    for (let i = 0; i < share(calls, phases, p); i++) await round(extismSteps, true);
    for (let i = 0; i < share(tiles, phases, p); i++) await round(tesseraSteps, true);
  }
  const gcMs = await gc.charge(windows);
  const figure = (k: StepKey) => timing(samples.get(k)!, gcMs.get(k));
  await extismTile();
  await extismTile(pdkPlugin, pdkResult);
  const reference = copy.output();
  return {
    filter: name,
    params,
    halo,
    inputBytes: input.length,
    outputBytes: outBytes,
    // input_length and the header's four loads, then the tile; alloc and output_set around the output.
    hostCalls: { input: 5 + transferCalls(input.length - 32), output: 2 + transferCalls(outBytes) },
    extism: figure('extism'),
    extismPdk: figure('extismPdk'),
    copy: figure('copy'),
    shared: figure('shared'),
    steps: {
      noop: figure('noop'),
      read: figure('read'),
      filter: figure('filter'),
      write: figure('write'),
    },
    verified: [result, pdkResult, shared.output()].every((out) => Buffer.from(out).equals(Buffer.from(reference))),
  };
}

/** The bare WebAssembly → JavaScript call, as many times as the blur tile's input needs `input_load_u64`. */
async function hostCall(calls: number, rounds: number): Promise<ExtismStartup['hostCall']> {
  const bytes = readFileSync(join(dirname(extismPluginPath()), 'host-call.wasm'));
  const data = new DataView(new ArrayBuffer(calls * 8));
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    bench: {
      load32: (offset: number) => data.getUint32(offset, true),
      load64: (offset: bigint) => data.getBigUint64(Number(offset), true),
    },
  }) as unknown as { exports: { loop32(n: number): number; loop64(n: number): bigint } };
  return {
    calls,
    i32: timing(await sample(rounds, 5, () => exports.loop32(calls))),
    i64: timing(await sample(rounds, 5, () => exports.loop64(calls))),
  };
}

async function probe(args: string[]): Promise<{ importMs: number; createMs: number }> {
  const { stdout } = await run(process.execPath, [PROBE, ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/** Creating a plugin against creating a tessera instance: cold (fresh processes, alternating), warm, and per tile. */
async function creation(pluginBytes: Uint8Array, calls: number, tiles: number, processes: number): Promise<ExtismStartup['creation']> {
  const builtins = FILTERS.map((f) => join(BUILTIN_FILTER_DIR, `${f.name}.wasm`));
  type Cold = Array<{ importMs: number; createMs: number }>;
  const cold = { extism: [] as Cold, manifest: [] as Cold, tessera: [] as Cold };
  for (let i = 0; i < processes; i++) {
    cold.extism.push(await probe(['extism', extismPluginPath()]));
    cold.manifest.push(await probe(['extism-manifest', extismPluginPath()]));
    cold.tessera.push(await probe(['tessera', ...builtins]));
  }
  const module = new WebAssembly.Module(pluginBytes as Uint8Array<ArrayBuffer>);
  const gray = loadFilter('grayscale');
  const fromModule = await sample(calls, 10, async () => (await createExtismPlugin(module)).close());
  const instantiate = await sample(tiles, 50, () => instantiateFilter(gray.plain));
  // A fresh plugin per tile, against tessera's fresh instance per tile (`copy --isolation instance`).
  const rgba = tilePixels();
  const layout = paddedLayout(TILE, TILE, 0);
  const padded = new Uint8Array(layout.byteLength);
  writePadded(rgba, layout, padded, 0);
  const inputs = new TileInputs();
  const perTile = await sample(calls, 10, async () => {
    const plugin = await createExtismPlugin(module);
    await callPlugin(plugin, EXTISM_EXPORTS.grayscale, inputs.encode(padded, layout.origin, layout.stride, TILE, TILE, 0, []), TILE * TILE * 4);
    await plugin.close();
  });
  const instance = await tesseraPath('grayscale', [], 0, rgba, 'instance');
  return {
    processes,
    sdkImportMs: median(cold.extism.map((c) => c.importMs)),
    tesseraImportMs: median(cold.tessera.map((c) => c.importMs)),
    pluginColdMs: median(cold.extism.map((c) => c.createMs)),
    pluginColdManifestMs: median(cold.manifest.map((c) => c.createMs)),
    tesseraColdMs: median(cold.tessera.map((c) => c.createMs)),
    pluginFromModule: timing(fromModule),
    tesseraInstantiate: timing(instantiate),
    pluginPerTile: timing(perTile),
    instancePerTile: timing(await sample(tiles, 50, instance.run)),
  };
}

/** Runs every Extism measurement (~15 s with the defaults on a 2-core VM). */
export async function measureExtism(options: ExtismBenchOptions = {}): Promise<ExtismStartup> {
  const calls = options.calls ?? 300;
  const tiles = options.tiles ?? 1000;
  const step = options.onStep ?? (() => {});
  const pluginBytes = readFileSync(extismPluginPath());
  const plugin = await createExtismPlugin(pluginBytes);
  const pdkPlugin = await createExtismPlugin(readFileSync(extismPdkPluginPath()));
  const costs: ExtismTileCosts[] = [];
  try {
    for (const f of FILTERS) {
      step(`extism: one 256×256 ${f.name} tile through plugin.call, copy and shared (${calls} calls per path)`);
      costs.push(await tileCosts(plugin, pdkPlugin, f.name, f.params, calls, tiles));
    }
  } finally {
    await Promise.all([plugin.close(), pdkPlugin.close()]);
  }
  step('extism: a bare host call; creating a plugin against a tessera instance');
  const blur = costs.find((c) => c.filter === 'gaussian-blur') ?? costs[0];
  return {
    sdk: `@extism/extism ${extismSdkVersion()}`,
    plugin: { bytes: pluginBytes.length, gzipBytes: gzipSync(pluginBytes, { level: 9 }).length },
    tiles: costs,
    hostCall: await hostCall(blur.hostCalls.input, Math.max(20, Math.min(calls, 200))),
    creation: await creation(pluginBytes, calls, tiles, options.processes ?? 5),
  };
}
