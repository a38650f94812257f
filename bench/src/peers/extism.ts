/**
 * Peer `extism`: tessera's own grayscale and gaussian-blur compiled as an Extism plugin
 * (AssemblyScript PDK) and run through the Extism JS SDK — the same WebAssembly arithmetic
 * as tessera's built-ins, reached through a plugin framework's call instead of tessera's
 * raw-pointer ABI. What it measures is the framework: how the pixels get in and out.
 *
 * - End to end: `decodeImage` (sharp → RGBA8, tessera's decoder) → the image padded by the
 *   halo with the border replicated and cut into tessera's 256×256 grid (tessera's tiling
 *   helpers) → one `plugin.call` per tile (input: tessera's 32-byte frame header + the tile
 *   with its halo; output: the tile's RGBA) → `encodeImage(prepareForEncode(out, hasAlpha))`:
 *   tessera's PNG settings and layout rule, so grayscale writes a 1-channel PNG and blur
 *   keeps RGB. See `extism-plugin.ts` for how the SDK moves the bytes.
 * - Params and halo: tessera's manifest (`resolveParams`) and the built-in's `halo()`; the
 *   plugin refuses a tile whose halo is smaller than its filter reads.
 * - Output: bit-identical to tessera's built-ins (the same sources), so the bench checks it
 *   against tessera's TypeScript reference, not only against its own first run.
 * - Filter stage alone: the same tiling and calls on decoded RGBA; outputs are RGBA.
 * - Threads: one plugin on the main thread (`plugin.call` runs the export synchronously;
 *   the SDK's worker-thread mode is experimental and off by default), so
 *   `effectiveWorkers` is 1 and images run one after another. Decode and encode run in
 *   sharp's threads, as for tessera.
 */
import { readFile } from 'node:fs/promises';
import type { Plugin } from '@extism/extism';
import { decodeImage } from 'tessera/internal/io/decode';
import { encodeImage, plainTarget, prepareForEncode } from 'tessera/internal/io/encode';
import { filterHalo, loadFilter } from 'tessera/internal/filter/filter-module';
import { resolveParams } from 'tessera/internal/filter/params';
import {
  checkWorkers, now, outputPath, peerError, sigmaOf, unsupported,
  type FileRunResult, type Peer, type PeerFilter, type PixelRunResult, type RawImage,
} from './common.js';
import { createExtismPlugin, extismPluginPath, extismSdkVersion, filterImageWithPlugin, TileInputs } from './extism-plugin.js';

/** The i32 params and halo tessera gives a filter. */
interface FilterCall {
  params: number[];
  halo: number;
}

export class ExtismPeer implements Peer {
  readonly name = 'extism' as const;
  readonly description =
    "tessera's grayscale and gaussian-blur sources as one Extism plugin (AssemblyScript PDK), one plugin.call per 256×256 tile through the Extism JS SDK on the main thread, with tessera's sharp decode and PNG encode";
  /** Outputs equal tessera's reference bit for bit (same filter sources): the bench checks them against it. */
  readonly matchesReference = true;
  private plugin: Plugin | undefined;
  private readonly inputs = new TileInputs();

  /** tessera's params and halo for `filter`; throws when tessera's manifest refuses them. */
  private call(filter: PeerFilter): FilterCall {
    const module = loadFilter(filter.name);
    const params = resolveParams(module.manifest, filter.name === 'gaussian-blur' ? { sigma: sigmaOf(filter) } : {});
    return { params, halo: filterHalo(module, params) };
  }

  supports(filter: PeerFilter): boolean {
    if (filter.name !== 'grayscale' && filter.name !== 'gaussian-blur') return false;
    try {
      this.call(filter);
      return true;
    } catch {
      return false;
    }
  }

  /** Reads the plugin built by `npm run build` and creates it (compile + instantiate). */
  async init(): Promise<number> {
    const t = now();
    const file = extismPluginPath();
    let wasm: Uint8Array;
    try {
      wasm = await readFile(file);
    } catch (err) {
      throw peerError(this.name, `cannot read the plugin ${file} (${(err as Error).message}); build it with npm run build`, err);
    }
    try {
      this.plugin = await createExtismPlugin(wasm);
    } catch (err) {
      throw peerError(this.name, `@extism/extism ${safeVersion()} cannot create the plugin: ${(err as Error).message}`, err);
    }
    return now() - t;
  }

  /** Always 1: one plugin, called on the main thread. */
  effectiveWorkers(workers: number): number {
    checkWorkers(this.name, workers);
    return 1;
  }

  private ready(filter: PeerFilter): { plugin: Plugin } & FilterCall {
    if (!this.plugin) throw peerError(this.name, 'init() was not called');
    if (!this.supports(filter)) throw unsupported(this.name, filter);
    return { plugin: this.plugin, ...this.call(filter) };
  }

  private async filterImage(filter: PeerFilter, rgba: Uint8Array, width: number, height: number): Promise<Uint8Array> {
    const { plugin, params, halo } = this.ready(filter);
    try {
      return (await filterImageWithPlugin(plugin, filter.name, params, halo, rgba, width, height, this.inputs)).rgba;
    } catch (err) {
      throw peerError(this.name, (err as Error).message, err);
    }
  }

  async runFiles(files: string[], outDir: string, filter: PeerFilter, workers: number): Promise<FileRunResult> {
    checkWorkers(this.name, workers);
    this.ready(filter);
    const perImageMs: number[] = [];
    const start = now();
    for (const file of files) {
      const t = now();
      const img = await decodeImage(file);
      const out = await this.filterImage(filter, img.data, img.width, img.height);
      await encodeImage(prepareForEncode(out, img.hasAlpha), img.width, img.height, plainTarget('png'), outputPath(outDir, file));
      perImageMs.push(now() - t);
    }
    return { wallMs: now() - start, perImageMs };
  }

  async runPixels(images: RawImage[], filter: PeerFilter, workers: number): Promise<PixelRunResult> {
    checkWorkers(this.name, workers);
    this.ready(filter);
    const outputs: Uint8Array[] = [];
    const start = now();
    for (const { rgba, width, height } of images) outputs.push(await this.filterImage(filter, rgba, width, height));
    return { wallMs: now() - start, outputs };
  }

  async close(): Promise<void> {
    await this.plugin?.close();
    this.plugin = undefined;
  }
}

function safeVersion(): string {
  try {
    return extismSdkVersion();
  } catch {
    return '(version unknown)';
  }
}
