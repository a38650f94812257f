/**
 * tessera's filters as an Extism plugin, run through the Extism JS SDK: what the `extism`
 * peer (`extism.ts`) and the start-up bench's Extism rows (`startup/extism.ts`) share.
 *
 * The plugin (`assembly/extism/plugin.ts`, built by `scripts/build-extism-plugin.mjs` into
 * `dist/extism/tessera-extism.wasm`) compiles tessera's own grayscale and gaussian-blur
 * sources behind the Extism AssemblyScript PDK's imports. One `plugin.call` filters one
 * tile: the input is tessera's 32-byte command-frame header (magic, width, height, halo,
 * p0..p3) followed by the tile with its halo, rows packed; the output is the tile's RGBA.
 *
 * How the SDK (1.0.3) moves those bytes, from its source (`src/call-context.ts`): the
 * input stays in JavaScript as a "block" (an ArrayBuffer); the plugin reads it with the
 * host function `input_load_u64(offset)`, 8 bytes per call, and writes its output into
 * another block with `store_u64(address, value)`, 8 bytes per call. Every call crosses
 * from WebAssembly into JavaScript with i64 arguments and results, i.e. BigInts: the
 * address is a BigInt, masked with BigInt arithmetic, and the 8 bytes come back as a
 * BigInt from `DataView.getBigUint64`. A 256×256 tile with a halo of 6 is ~69,000 such
 * calls. (Extism's native runtimes keep the blocks in a WebAssembly "kernel" module, so
 * there those loads are calls between WebAssembly modules.)
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from '@extism/extism';
import { FRAME_MAGIC_IN, REQUEST_HEADER_BYTES } from 'tessera/internal/strategies/process/frame';
import { paddedLayout, writePadded } from 'tessera/internal/tiling/padded-image';
import { planTiles } from 'tessera/internal/tiling/plan';
import { copyRows, haloOrigin } from 'tessera/internal/tiling/rows';
import { DEFAULT_TILE_SIZE } from 'tessera/internal/pipeline/defaults';
import { premultiplyPadded, unpremultiplyPixels } from 'tessera/internal/pipeline/alpha';
import { loadFilter } from 'tessera/internal/filter/filter-module';
import { alphaMode } from 'tessera/internal/filter/manifest';

type ExtismSdk = typeof import('@extism/extism');

/** The filters the plugin holds, by tessera's names, and the plugin export of each. */
export const EXTISM_EXPORTS = { grayscale: 'grayscale', 'gaussian-blur': 'gaussian_blur' } as const;

/** A filter the plugin holds. */
export type ExtismFilterName = keyof typeof EXTISM_EXPORTS;

/** The plugin's measurement exports (see the header of `assembly/extism/plugin.ts`). */
export const EXTISM_PROBES = {
  /** Returns at once: the fixed cost of `plugin.call`. */
  noop: 'noop',
  /** Reads the header and the tile into the plugin's memory, writes nothing. */
  read: 'probe_read',
  /** Reads the header, writes width·height·4 bytes of output. */
  write: 'probe_write',
  /** Filters what the last `read` left in memory, no transfer. */
  filter: { grayscale: 'probe_grayscale', 'gaussian-blur': 'probe_gaussian_blur' },
} as const;

/** Where `npm run build` writes the plugin. */
export function extismPluginPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('tessera/package.json')), 'dist/extism/tessera-extism.wasm');
}

/** The same filters written the PDK README's way (`Host.input()`, `Host.output()`): the start-up bench's comparison. */
export function extismPdkPluginPath(): string {
  return join(dirname(extismPluginPath()), 'tessera-extism-pdk.wasm');
}

/** The SDK's version, from its package.json (for the report). */
export function extismSdkVersion(): string {
  const require = createRequire(import.meta.url);
  try {
    return (require('@extism/extism/package.json') as { version: string }).version;
  } catch {
    // The SDK's exports map may not expose package.json: read it next to its entry point.
    const entry = require.resolve('@extism/extism');
    return (require(join(dirname(entry), '../../package.json')) as { version: string }).version;
  }
}

let sdk: Promise<ExtismSdk> | undefined;

/**
 * Imports the Extism SDK once. The SDK imports `node:wasi` at load, whose Node 20 notice
 * ("WASI is an experimental feature") would land in the middle of the bench's output; the
 * plugin runs with `useWasi: false`, so WASI is never used and that one notice is dropped.
 */
export function loadExtism(): Promise<ExtismSdk> {
  sdk ??= (async () => {
    const emit = process.emitWarning;
    process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
      const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
      if (type === 'ExperimentalWarning' && String(warning).startsWith('WASI')) return;
      return (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
    } as typeof process.emitWarning;
    try {
      return await import('@extism/extism');
    } finally {
      process.emitWarning = emit;
    }
  })();
  return sdk;
}

/**
 * Creates a plugin from the wasm bytes or a compiled module, without WASI (the plugin
 * imports only Extism's kernel).
 *
 * The bytes go in as a bare ArrayBuffer and a module as itself, not in a manifest object
 * (`{ wasm: [{ data }] }`): for an object the SDK's manifest code tests
 * `candidate instanceof Response`, and in Node 20 the first touch of the global `Response`
 * loads undici, Node's fetch implementation — ~25–50 ms of a cold `createPlugin` in a
 * fresh process (`manifest: true` keeps that path, for the start-up bench to price it).
 */
export async function createExtismPlugin(wasm: Uint8Array | WebAssembly.Module, options: { manifest?: boolean } = {}): Promise<Plugin> {
  const { createPlugin } = await loadExtism();
  if (options.manifest) return createPlugin(wasm instanceof WebAssembly.Module ? { wasm: [{ module: wasm }] } : { wasm: [{ data: wasm }] }, { useWasi: false });
  const source = wasm instanceof WebAssembly.Module ? wasm : (wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  return createPlugin(source, { useWasi: false });
}

/** Bytes of the Extism input for a width×height tile with `halo`. */
export function tileInputBytes(width: number, height: number, halo: number): number {
  return REQUEST_HEADER_BYTES + (width + 2 * halo) * 4 * (height + 2 * halo);
}

/**
 * Builds tile inputs: header + tile with halo, in one reused buffer per tile shape.
 *
 * Each buffer is a whole ArrayBuffer of exactly the input's length, on purpose: the SDK
 * passes an ArrayBuffer-backed `Uint8Array` without copying by taking its *whole*
 * `.buffer` as the input (it ignores `byteOffset` and `length`), so a view into a larger
 * buffer — a pooled `Buffer`, a subarray — would hand the plugin the wrong bytes.
 * Reusing it is safe because a call has read its input before `plugin.call` settles.
 */
export class TileInputs {
  private readonly buffers = new Map<number, Uint8Array>();

  /**
   * The input of one tile of a padded source.
   * @param srcOffset byte offset of the tile's first interior pixel in `src`
   */
  encode(src: Uint8Array, srcOffset: number, srcStride: number, width: number, height: number, halo: number, params: readonly number[]): Uint8Array {
    const bytes = tileInputBytes(width, height, halo);
    let input = this.buffers.get(bytes);
    if (!input) this.buffers.set(bytes, (input = new Uint8Array(bytes)));
    const view = new DataView(input.buffer);
    view.setUint32(0, FRAME_MAGIC_IN, true);
    view.setUint32(4, width, true);
    view.setUint32(8, height, true);
    view.setUint32(12, halo, true);
    for (let i = 0; i < 4; i++) view.setInt32(16 + 4 * i, params[i] ?? 0, true);
    const rowBytes = (width + 2 * halo) * 4;
    copyRows(src, haloOrigin(srcOffset, srcStride, halo), srcStride, input, REQUEST_HEADER_BYTES, rowBytes, rowBytes, height + 2 * halo);
    return input;
  }
}

/**
 * One call, its output's bytes, and the SDK's blocks dropped: the SDK keeps every call's
 * input and output block in a list until `reset()`, so a long run without it holds every
 * tile it ever filtered.
 * @param expectBytes the output length the call must return (0: no output expected)
 * @throws Error when the plugin sets an error or returns another length
 */
export async function callPlugin(plugin: Plugin, fn: string, input: Uint8Array | undefined, expectBytes: number): Promise<Uint8Array | undefined> {
  try {
    const bytes = (await plugin.call(fn, input))?.bytes();
    const got = bytes?.length ?? 0;
    if (got !== expectBytes) throw new Error(`Extism export ${fn} returned ${got} bytes, expected ${expectBytes}`);
    return bytes;
  } finally {
    await plugin.reset();
  }
}

/** An image filtered through the plugin tile by tile, as tessera tiles it. */
export interface ExtismImageRun {
  /** width·height·4 bytes of RGBA. */
  rgba: Uint8Array;
  tiles: number;
}

/**
 * Filters a whole RGBA8 image through `plugin`: padded by the halo with the border
 * replicated (tessera's layout), cut into tessera's tile grid, one `plugin.call` per tile,
 * each result copied into place. A filter whose manifest says premultiplied alpha gets
 * tessera's alpha passes around its tiles, as in tessera.
 */
export async function filterImageWithPlugin(
  plugin: Plugin, filter: ExtismFilterName, params: readonly number[], halo: number,
  rgba: Uint8Array, width: number, height: number, inputs = new TileInputs(), tileSize = DEFAULT_TILE_SIZE,
): Promise<ExtismImageRun> {
  const layout = paddedLayout(width, height, halo);
  const padded = new Uint8Array(layout.byteLength);
  writePadded(rgba, layout, padded, 0);
  const premultiplied = premultipliedFilter(filter);
  if (premultiplied) premultiplyPadded(padded, layout);
  const out = new Uint8Array(width * height * 4);
  const { tiles } = planTiles(width, height, tileSize);
  for (const tile of tiles) {
    const input = inputs.encode(padded, layout.origin + tile.y * layout.stride + tile.x * 4, layout.stride, tile.width, tile.height, halo, params);
    const bytes = (await callPlugin(plugin, EXTISM_EXPORTS[filter], input, tile.width * tile.height * 4))!;
    copyRows(bytes, 0, tile.width * 4, out, (tile.y * width + tile.x) * 4, width * 4, tile.width * 4, tile.height);
  }
  if (premultiplied) unpremultiplyPixels(out);
  return { rgba: out, tiles: tiles.length };
}

const alphaModes = new Map<ExtismFilterName, boolean>();

/** Whether the built-in's manifest says premultiplied alpha (read once: loading hashes the module). */
function premultipliedFilter(filter: ExtismFilterName): boolean {
  let premultiplied = alphaModes.get(filter);
  if (premultiplied === undefined) {
    premultiplied = alphaMode(loadFilter(filter).manifest) === 'premultiplied';
    alphaModes.set(filter, premultiplied);
  }
  return premultiplied;
}
