/**
 * Peer `wasm-vips`: the same libvips as sharp, compiled to WebAssembly with Emscripten
 * (pthreads on worker_threads, SIMD) — the cost of WebAssembly for one mature library,
 * with the algorithms held equal.
 *
 * - Initialised once with `Vips({ dynamicLibraries: [] })`: the optional HEIF, JPEG XL and
 *   resvg side modules are not loaded (none is needed for PNG). `init()` returns the time
 *   to import the module, compile `vips.wasm` and start the runtime: its cold start.
 * - grayscale = `colourspace('b-w')` (linear-light BT.709 luminance, gamma-encoded; see
 *   sharp.ts), 1-channel output (gray + alpha with an alpha input); gaussian-blur =
 *   `gaussblur(sigma)` with libvips' defaults (integer precision, min amplitude 0.2, the
 *   same as sharp's `blur`), layout kept.
 * - PNG: `pngsaveBuffer({ compression: 6, filter: ForeignPngFilter.none })` — libvips'
 *   equivalent of sharp's `adaptiveFiltering: false`. wasm-vips bundles its own zlib, so
 *   the bytes (not the pixels) differ slightly from sharp's.
 * - File I/O: Node reads the file (`fs.readFile`), `Image.newFromBuffer(…, { access:
 *   sequential })` decodes it (sequential access, as sharp opens files), Node writes the
 *   encoded buffer. The Emscripten file system is not used.
 * - Filter stage alone: `Image.newFromMemory(rgba, w, h, 4, 'uchar')` (copies the pixels
 *   into the WASM heap), tagged sRGB, filtered, `writeToMemory()` (copies them out).
 *   Outputs: grayscale → gray + alpha (2 bytes/pixel), blur → RGBA (no premultiplication).
 * - Every `Image` is `delete()`d in a `finally`: wasm-vips has no finaliser, anything not
 *   deleted stays in the WASM heap.
 * - Threads: the API is synchronous on the calling (main) thread, so images run one after
 *   another; `workers` = N sets `vips.concurrency(N)`, the libvips thread pool that
 *   computes each image (restored after every batch).
 */
import type VipsNs from 'wasm-vips';
import { readFile, writeFile } from 'node:fs/promises';
import {
  checkWorkers, now, outputPath, peerError, PNG_COMPRESSION_LEVEL, sigmaOf, unsupported,
  type FileRunResult, type Peer, type PeerFilter, type PixelRunResult, type RawImage,
} from './common.js';

type Vips = typeof VipsNs;
type VipsImage = VipsNs.Image;

const MAX_SIGMA = 1000;

export class WasmVipsPeer implements Peer {
  readonly name = 'wasm-vips' as const;
  readonly description =
    'libvips compiled to WebAssembly (wasm-vips, no optional modules): colourspace("b-w") / gaussblur(sigma), PNG compression 6 filter none, vips.concurrency(N) threads, one image at a time';
  private vips: Vips | undefined;

  supports(filter: PeerFilter): boolean {
    if (filter.name === 'grayscale') return true;
    if (filter.name === 'gaussian-blur') {
      const s = sigmaOf(filter);
      return Number.isFinite(s) && s > 0 && s <= MAX_SIGMA;
    }
    return false;
  }

  async init(): Promise<number> {
    if (this.vips) return 0;
    const t = now();
    try {
      const factory = (await import('wasm-vips')).default;
      const vips = await factory({ dynamicLibraries: [] });
      // A real call, so a broken runtime fails here rather than in the first timed run.
      const probe = vips.Image.black(2, 2);
      try {
        probe.colourspace('b-w').delete();
      } finally {
        probe.delete();
      }
      this.vips = vips;
    } catch (err) {
      throw peerError(this.name, `cannot initialise wasm-vips in Node ${process.version}: ${(err as Error).message}`, err);
    }
    return now() - t;
  }

  effectiveWorkers(workers: number): number {
    return checkWorkers(this.name, workers);
  }

  private ready(): Vips {
    if (!this.vips) throw peerError(this.name, 'init() was not called');
    return this.vips;
  }

  /** The filtered image (a new handle the caller deletes). */
  private apply(img: VipsImage, filter: PeerFilter): VipsImage {
    return filter.name === 'grayscale' ? img.colourspace('b-w') : img.gaussblur(sigmaOf(filter));
  }

  private withConcurrency<T>(vips: Vips, workers: number, fn: () => Promise<T>): Promise<T> {
    const previous = vips.concurrency() ?? workers;
    vips.concurrency(workers);
    return fn().finally(() => vips.concurrency(previous));
  }

  async runFiles(files: string[], outDir: string, filter: PeerFilter, workers: number): Promise<FileRunResult> {
    const n = checkWorkers(this.name, workers);
    const vips = this.ready();
    if (!this.supports(filter)) throw unsupported(this.name, filter);
    const pngOptions = { compression: PNG_COMPRESSION_LEVEL, filter: vips.ForeignPngFilter.none };
    const perImageMs: number[] = [];
    let wallMs = 0;
    await this.withConcurrency(vips, n, async () => {
      const start = now();
      for (const file of files) {
        const t = now();
        const input = await readFile(file);
        let png: Uint8Array;
        const img = vips.Image.newFromBuffer(input, '', { access: vips.Access.sequential });
        try {
          const out = this.apply(img, filter);
          try {
            png = out.pngsaveBuffer(pngOptions);
          } finally {
            out.delete();
          }
        } finally {
          img.delete();
        }
        await writeFile(outputPath(outDir, file), png);
        perImageMs.push(now() - t);
      }
      wallMs = now() - start;
    });
    return { wallMs, perImageMs };
  }

  async runPixels(images: RawImage[], filter: PeerFilter, workers: number): Promise<PixelRunResult> {
    const n = checkWorkers(this.name, workers);
    const vips = this.ready();
    if (!this.supports(filter)) throw unsupported(this.name, filter);
    const outputs: Uint8Array[] = [];
    let wallMs = 0;
    await this.withConcurrency(vips, n, async () => {
      const start = now();
      for (const { rgba, width, height } of images) {
        const raw = vips.Image.newFromMemory(rgba, width, height, 4, vips.BandFormat.uchar);
        try {
          const srgb = raw.copy({ interpretation: vips.Interpretation.srgb });
          try {
            const out = this.apply(srgb, filter);
            try {
              outputs.push(out.writeToMemory() as Uint8Array);
            } finally {
              out.delete();
            }
          } finally {
            srgb.delete();
          }
        } finally {
          raw.delete();
        }
      }
      wallMs = now() - start;
    });
    return { wallMs, outputs };
  }

  /** Shuts libvips down (stops its threads, drops its caches) and releases the module. */
  async close(): Promise<void> {
    const vips = this.vips;
    this.vips = undefined;
    vips?.shutdown();
  }
}
