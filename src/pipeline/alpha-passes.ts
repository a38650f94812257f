/**
 * Running the premultiply / unpremultiply kernel (`assembly/host/premultiply.ts`) over rows
 * wherever they are: in place, when they lie in a shared `WebAssembly.Memory` (the `shared`
 * strategy's image memory: the kernel's `.shared` form is instantiated against it, once per
 * memory), else through the kernel's own memory a chunk at a time (a `copy` image's
 * SharedArrayBuffer, a caller's output). Pure — no Node API — so the browser page runs the
 * same passes over the same kernel (web/src/alpha.ts).
 */
import { PAGE } from '../filter/abi.js';
import { alphaMode, type FilterManifest } from '../filter/manifest.js';
import type { PaddedLayout } from '../tiling/padded-image.js';

/** How a filter whose manifest says `"alpha": "premultiplied"` is run (a straight filter has none). */
export interface PremultipliedAlpha {
  /**
   * The filter maps pixels whose neighbourhood is opaque to opaque pixels: then a region
   * found opaque skips the unpremultiply pass, which would be the identity on its output.
   * True of every built-in (the blurs' weights sum exactly to their divisor, sharpen and
   * sobel keep alpha); a user's filter is not trusted to, and its output is always checked.
   */
  keepsOpaque: boolean;
}

/** What a filter's manifest and origin say about its alpha: undefined for straight alpha. */
export function premultipliedAlpha(manifest: Pick<FilterManifest, 'alpha'>, builtin: boolean): PremultipliedAlpha | undefined {
  return alphaMode(manifest) === 'premultiplied' ? { keepsOpaque: builtin } : undefined;
}

/** The kernel's exports: each pass works in place on `rows` rows of `width` RGBA8 pixels, `stride` bytes apart. */
export interface AlphaKernel {
  /** @returns 1 when some pixel had alpha below 255 (the rows changed), 0 when none had (nothing written) */
  premultiply_rows(ptr: number, width: number, rows: number, stride: number): number;
  /** @returns 1 when some pixel had alpha below 255, 0 when none had (nothing written) */
  unpremultiply_rows(ptr: number, width: number, rows: number, stride: number): number;
}

type Pass = keyof AlphaKernel;

/** Whether `memory` is shared: the in-place form imports a shared memory and links against no other. */
function isShared(memory: WebAssembly.Memory): boolean {
  // Without cross-origin isolation a page has no SharedArrayBuffer at all.
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * Bytes copied into the kernel's own memory at a time: small enough to stay in L2, so the
 * copy in, the pass and the copy back hit the cache instead of main memory three times.
 */
const CHUNK_BYTES = 256 * 1024;
/** Where rows go in the kernel's own memory (it has no statics; away from address 0 all the same). */
const CHUNK_BASE = 64;

/** The two passes over byte views, in place or chunked. */
export class AlphaPasses {
  private readonly own: AlphaKernel & { memory: WebAssembly.Memory };
  private readonly bound = new WeakMap<WebAssembly.Memory, AlphaKernel>();

  /**
   * @param plain the kernel with a memory of its own (`premultiply.wasm`)
   * @param inPlace its twin importing a shared memory (`premultiply.shared.wasm`); without
   *        it every pass is chunked (a page that is not cross-origin isolated)
   */
  constructor(plain: WebAssembly.Module, private readonly inPlace?: WebAssembly.Module) {
    this.own = new WebAssembly.Instance(plain).exports as unknown as AlphaKernel & { memory: WebAssembly.Memory };
  }

  /**
   * Premultiplies rows of RGBA8 in place: c' = round(c·a / 255).
   * @param bytes the rows, from their first pixel (`(rows − 1)·stride + width·4` bytes at least)
   * @param memory the memory `bytes` views, if any: the pass then runs there without a copy
   * @returns whether any pixel had alpha below 255 (false: nothing changed)
   */
  premultiply(bytes: Uint8Array, width: number, rows: number, stride: number, memory?: WebAssembly.Memory): boolean {
    return this.run('premultiply_rows', bytes, width, rows, stride, memory);
  }

  /** Unpremultiplies rows of RGBA8 in place (c = round(c'·255 / a), 0 where a = 0, at most 255); as {@link premultiply}. */
  unpremultiply(bytes: Uint8Array, width: number, rows: number, stride: number, memory?: WebAssembly.Memory): boolean {
    return this.run('unpremultiply_rows', bytes, width, rows, stride, memory);
  }

  /**
   * Premultiplies a padded source (tiling/padded-image.ts) in place, halo and replicated
   * borders included: pointwise, so a band's halo rows come out as the whole image's would.
   * @param source the padded buffer, from its first byte
   * @returns whether any pixel had alpha below 255
   */
  premultiplyPadded(source: Uint8Array, layout: PaddedLayout, memory?: WebAssembly.Memory): boolean {
    return this.premultiply(source, layout.width + 2 * layout.halo, layout.height + 2 * layout.halo, layout.stride, memory);
  }

  /**
   * Premultiplies a padded source before a premultiplied filter's tiles run.
   * @param knownOpaque every pixel is opaque (the decoder found no alpha channel): the pass,
   *        the identity then, is not even run
   * @returns whether the filtered output must be unpremultiplied: when some pixel was not
   *          opaque, and always for a filter not known to keep opaque pixels opaque
   */
  premultiplyForFilter(alpha: PremultipliedAlpha, source: Uint8Array, layout: PaddedLayout, knownOpaque = false, memory?: WebAssembly.Memory): boolean {
    const translucent = !knownOpaque && this.premultiplyPadded(source, layout, memory);
    return translucent || !alpha.keepsOpaque;
  }

  /** Unpremultiplies tightly packed RGBA8 pixels in place (a filtered output); as {@link premultiply}. */
  unpremultiplyPacked(rgba: Uint8Array, memory?: WebAssembly.Memory): boolean {
    return this.unpremultiply(rgba, rgba.length >>> 2, 1, rgba.length, memory);
  }

  private run(pass: Pass, bytes: Uint8Array, width: number, rows: number, stride: number, memory?: WebAssembly.Memory): boolean {
    if (width <= 0 || rows <= 0) return false;
    const need = (rows - 1) * stride + width * 4;
    if (bytes.length < need) throw new RangeError(`${rows} rows of ${width} RGBA pixels, ${stride} bytes apart, need ${need} bytes, got ${bytes.length}`);
    const rowBytes = width * 4;
    // Packed rows are one run of pixels: no per-row tails, and chunks of any length.
    const packed = rows === 1 || stride === rowBytes;
    const kernel = memory && this.inPlace && bytes.buffer === memory.buffer && isShared(memory) ? this.kernelIn(memory) : undefined;
    if (kernel) {
      return (packed ? kernel[pass](bytes.byteOffset, width * rows, 1, 0) : kernel[pass](bytes.byteOffset, width, rows, stride)) === 1;
    }
    let seen = false;
    if (packed) {
      const total = width * rows * 4;
      for (let start = 0; start < total; start += CHUNK_BYTES) {
        const length = Math.min(CHUNK_BYTES, total - start);
        seen = this.chunk(pass, bytes, start, length, length >> 2, 1, 0) || seen;
      }
      return seen;
    }
    const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / stride));
    for (let y = 0; y < rows; y += rowsPerChunk) {
      const n = Math.min(rowsPerChunk, rows - y);
      seen = this.chunk(pass, bytes, y * stride, (n - 1) * stride + rowBytes, width, n, stride) || seen;
    }
    return seen;
  }

  /** One chunk through the kernel's own memory; copied back only when the pass changed something. */
  private chunk(pass: Pass, bytes: Uint8Array, start: number, length: number, width: number, rows: number, stride: number): boolean {
    const { memory } = this.own;
    const need = CHUNK_BASE + length;
    if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
    const mem = new Uint8Array(memory.buffer, CHUNK_BASE, length);
    const part = bytes.subarray(start, start + length);
    mem.set(part);
    if (this.own[pass](CHUNK_BASE, width, rows, stride) !== 1) return false;
    part.set(mem);
    return true;
  }

  /** The in-place kernel bound to `memory`, instantiated on first use (no data segments: nothing in the memory is written). */
  private kernelIn(memory: WebAssembly.Memory): AlphaKernel {
    let kernel = this.bound.get(memory);
    if (!kernel) {
      kernel = new WebAssembly.Instance(this.inPlace!, { env: { memory } }).exports as unknown as AlphaKernel;
      this.bound.set(memory, kernel);
    }
    return kernel;
  }
}
