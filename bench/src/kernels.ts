/**
 * Kernel throughput on one core: each filter's WASM `filter` calls alone over every
 * tile of the decoded images (the `shared` layout, no copies), beside a memcpy of the
 * same pixels measured in the same run — the ceiling for a pixel-wise filter.
 *
 * Besides the built-ins, the C and Rust ports of box-blur and brightness-contrast
 * (examples/c, examples/rust) when clang or Debian's rustc is installed: the same work in
 * another language, measured in rounds interleaved with the built-in's, so that a drift of
 * the machine hits both alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createStrategyHost, prepareFrom, type RunnerInit } from 'tessera/internal/strategies/index';
import { loadTileRunner } from 'tessera/internal/strategies/tile-runner';
import { paddedLayout } from 'tessera/internal/tiling/padded-image';
import { DEFAULT_TILE_SIZE } from 'tessera/internal/pipeline/defaults';
import { planTiles } from 'tessera/internal/tiling/plan';
import { filterHalo, filterScratchBytes, loadFilter, type FilterModule } from 'tessera/internal/filter/filter-module';
import { resolveParams, type ParamInput } from 'tessera/internal/filter/params';
import { median } from './stats.js';

/** One kernel's single-thread throughput. */
export interface KernelResult {
  filter: string;
  /** Median over rounds of Mpx/s, one thread. */
  mpxPerS: number;
  /** memcpy of the same pixels, same run. */
  memcpyMpxPerS: number;
  /** mpxPerS / memcpyMpxPerS. */
  ofMemcpy: number;
}

/** One kernel to measure. */
export interface KernelSpec {
  /** The row's label; also the built-in loaded when `filter` is absent. */
  name: string;
  /** A `.wasm` path or a loaded filter (a C or Rust build, say) instead of the built-in `name`. */
  filter?: string | FilterModule;
  params?: ParamInput;
  /** Specs of one group are measured in interleaved rounds (a built-in and its ports); default: a group of its own. */
  group?: string;
}

type Images = ReadonlyArray<{ data: Uint8Array; width: number; height: number }>;

/** One kernel made ready: its images placed in shared memories, a runner bound to them. */
async function prepareKernel(images: Images, spec: KernelSpec) {
  const filter = typeof spec.filter === 'object' ? spec.filter : loadFilter(spec.filter ?? spec.name);
  if (!filter.shared) throw new Error(`${spec.name}: the kernels bench needs a shared-memory form`);
  const p = resolveParams(filter.manifest, spec.params);
  const halo = filterHalo(filter, p);
  const scratchBytes = filterScratchBytes(filter, p, DEFAULT_TILE_SIZE);
  const init: RunnerInit = { strategy: 'shared', filterName: spec.name, variant: filter.shared, maxMemoryPages: 65536, params: p, halo, scratchBytes, lanes: 1 };
  const host = createStrategyHost(init);
  const runner = await loadTileRunner(init);
  const prepared = images.map((img) => prepareFrom(host, img.data, paddedLayout(img.width, img.height, halo)));
  const tasks = prepared.flatMap((pi) => planTiles(pi.layout.width, pi.layout.height, DEFAULT_TILE_SIZE).tiles.map((t) => host.task(pi, t)));
  return {
    round: () => tasks.reduce((s, t) => s + runner.run(t).filterMs, 0),
    release: () => prepared.forEach((pi) => host.release(pi)),
  };
}

/** Measures `filters` on `images` (RGBA8); results in the order of `filters`. */
export async function measureKernels(images: Images, filters: ReadonlyArray<KernelSpec>, rounds = 7): Promise<KernelResult[]> {
  const megapixels = images.reduce((s, i) => s + (i.width * i.height) / 1e6, 0);
  const copies = images.map((i) => new Uint8Array(i.data.length));
  const memcpyRound = () => {
    const t = performance.now();
    images.forEach((img, k) => copies[k].set(img.data));
    return performance.now() - t;
  };
  const groups = new Map<string, KernelSpec[]>();
  filters.forEach((spec, i) => {
    const key = spec.group ?? `#${i}`;
    groups.set(key, [...(groups.get(key) ?? []), spec]);
  });
  const bySpec = new Map<KernelSpec, KernelResult>();
  for (const specs of groups.values()) {
    // One group at a time: every kernel of a group holds its own copy of the images.
    const kernels = [];
    for (const spec of specs) kernels.push(await prepareKernel(images, spec));
    for (const k of kernels) k.round(); // warm-up: tier-up to the optimizing compiler
    memcpyRound();
    const f: number[][] = kernels.map(() => []);
    const m: number[][] = kernels.map(() => []);
    for (let r = 0; r < rounds; r++) {
      kernels.forEach((k, i) => {
        f[i].push(k.round());
        m[i].push(memcpyRound());
      });
    }
    kernels.forEach((k) => k.release());
    specs.forEach((spec, i) => {
      const mpxPerS = megapixels / (median(f[i]) / 1000);
      const memcpyMpxPerS = megapixels / (median(m[i]) / 1000);
      bySpec.set(spec, { filter: spec.name, mpxPerS, memcpyMpxPerS, ofMemcpy: mpxPerS / memcpyMpxPerS });
    });
  }
  return filters.map((spec) => bySpec.get(spec)!);
}

/** The C and Rust ports of built-ins (examples/c, examples/rust), with the built-in each one ports. */
const NATIVE_PORTS: ReadonlyArray<{ builtin: string; language: 'C' | 'Rust'; source: string }> = [
  { builtin: 'box-blur', language: 'C', source: 'examples/c/box-blur.c' },
  { builtin: 'box-blur', language: 'Rust', source: 'examples/rust/box_blur.rs' },
  { builtin: 'brightness-contrast', language: 'C', source: 'examples/c/brightness-contrast.c' },
  { builtin: 'brightness-contrast', language: 'Rust', source: 'examples/rust/brightness_contrast.rs' },
];

/** Is the program there (it answers --version)? */
function installed(program: string, args = ['--version']): boolean {
  return spawnSync(program, args, { stdio: 'ignore' }).status === 0;
}

/**
 * The compiled-language rows: each port built with scripts/build-native-filter.mjs and
 * loaded, labelled `box-blur (C)`, grouped with its built-in. A language whose toolchain is
 * missing (clang, or /usr/bin/rustc with libstd-rust-dev-wasm32) is left out, as is
 * everything when the repository's examples are not there (an installed package).
 * @param params the params each built-in is measured at, which its ports get too
 */
export function nativeKernelSpecs(params: (builtin: string) => ParamInput | undefined = () => undefined): KernelSpec[] {
  const root = dirname(createRequire(import.meta.url).resolve('tessera/package.json'));
  const helper = join(root, 'scripts/build-native-filter.mjs');
  const have = { C: installed('clang') && installed('wasm-ld'), Rust: installed('/usr/bin/rustc') && existsSync('/usr/lib/rustlib/wasm32-unknown-unknown/lib') };
  const ports = NATIVE_PORTS.filter((p) => have[p.language] && existsSync(join(root, p.source)));
  if (ports.length === 0 || !existsSync(helper)) return [];
  const out = mkdtempSync(join(tmpdir(), 'tessera-kernels-'));
  try {
    const specs: KernelSpec[] = [];
    for (const port of ports) {
      const built = spawnSync(process.execPath, [helper, '--src', join(root, port.source), '--out', out, '--no-command'], { encoding: 'utf8' });
      const name = /built ([a-z0-9-]+)\.wasm/.exec(built.stdout ?? '')?.[1];
      if (built.status !== 0 || !name) throw new Error(`building ${port.source} for the kernels bench failed:
${built.stderr}`);
      // Loaded (compiled) now: the directory goes away before the measurement.
      specs.push({ name: `${port.builtin} (${port.language})`, filter: loadFilter(join(out, `${name}.wasm`)), params: params(port.builtin), group: port.builtin });
    }
    return specs;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
