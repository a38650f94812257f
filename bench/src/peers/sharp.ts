/**
 * Peer `sharp`: native libvips through sharp — the fastest thing a Node.js service would
 * reach for, and the yardstick for everything compiled to WebAssembly. The operations
 * live in `sharp-ops.ts`, shared with the whole-process sharp script
 * (`process/sharp-run.ts`), which makes the same choices in a process of its own.
 *
 * - grayscale = `.greyscale().toColourspace('b-w')`: libvips' sRGB → B_W, i.e. BT.709
 *   luminance computed in *linear light* and gamma-encoded again. That is not the
 *   gamma-space luma tessera's filter (and the reference's `to_luma8`) computes: on
 *   saturated colours the two differ by several levels; on natural images by about one.
 *   Output: 1-channel gray PNG (gray + alpha when the input has alpha).
 * - gaussian-blur = `.blur(sigma)`: libvips `gaussblur` with sharp's defaults (integer
 *   precision, min amplitude 0.2); the input's layout is kept (RGB in → RGB out). sharp
 *   accepts sigma 0.3–1000.
 * - PNG: `.png({ compressionLevel: 6, adaptiveFiltering: false })`, tessera's own
 *   `ENCODE_OPTIONS.png` (zlib level 6, filter none).
 * - Files are read by sharp itself from the path (as tessera's decoder does) and written
 *   with `toFile`; sharp's operation cache is left as it is for tessera (measured: no
 *   effect on repeated runs of these pipelines).
 * - Filter stage alone: `sharp(rgba, { raw: { width, height, channels: 4 } })` → filter
 *   → `.raw().toBuffer()`. Output layout: grayscale → gray + alpha (2 bytes/pixel),
 *   blur → RGBA. With an alpha channel sharp premultiplies before blurring and
 *   unpremultiplies after (its rule for every convolution), which tessera's RGBA blur
 *   does not do: that extra work is part of sharp's filter-stage figure.
 * - Threads: for `workers` = N, `sharp.concurrency(N)` (libvips threads per image) and
 *   as many images in flight as tessera keeps (DEFAULT_IMAGES_IN_FLIGHT, at least N):
 *   sharp's best configuration here — 2 in flight was 10–15% slower than 4 or 8 on
 *   2 cores. Each needs a libuv thread (UV_THREADPOOL_SIZE, default 4, caps this);
 *   the previous concurrency is restored after every batch.
 */
import type SharpDefault from 'sharp';
import { ENCODE_OPTIONS } from 'tessera/internal/io/encode';
import { DEFAULT_IMAGES_IN_FLIGHT } from 'tessera/internal/pipeline/defaults';
import {
  checkWorkers, now, outputPath, peerError, sigmaOf, timeBatch, unsupported,
  type FileRunResult, type Peer, type PeerFilter, type PixelRunResult, type RawImage,
} from './common.js';
import { applySharpFilter, sharpAcceptsSigma, type SharpInstance } from './sharp-ops.js';

type Sharp = typeof SharpDefault;

export class SharpPeer implements Peer {
  readonly name = 'sharp' as const;
  readonly description =
    'native libvips via sharp: greyscale().toColourspace("b-w") / blur(sigma), PNG level 6 without adaptive filtering, sharp.concurrency(N) with as many images in flight as tessera';
  private lib: Sharp | undefined;

  supports(filter: PeerFilter): boolean {
    if (filter.name === 'grayscale') return true;
    if (filter.name === 'gaussian-blur') {
      return sharpAcceptsSigma(sigmaOf(filter));
    }
    return false;
  }

  /** Loads sharp. tessera's own I/O already loaded it in this process, so this is ~0 ms here. */
  async init(): Promise<number> {
    const t = now();
    try {
      this.lib = (await import('tessera/internal/io/sharp')).sharp;
      void this.lib.versions.vips;
    } catch (err) {
      throw peerError(this.name, `cannot load sharp: ${(err as Error).message}`, err);
    }
    return now() - t;
  }

  effectiveWorkers(workers: number): number {
    return checkWorkers(this.name, workers);
  }

  private apply(img: SharpInstance, filter: PeerFilter): SharpInstance {
    if (!this.supports(filter)) throw unsupported(this.name, filter);
    return applySharpFilter(img, filter.name, sigmaOf(filter));
  }

  private ready(): Sharp {
    if (!this.lib) throw peerError(this.name, 'init() was not called');
    return this.lib;
  }

  /** Runs `fn` with `sharp.concurrency(workers)`, restoring the previous value after. */
  private async withConcurrency<T>(workers: number, fn: () => Promise<T>): Promise<T> {
    const lib = this.ready();
    const previous = lib.concurrency();
    lib.concurrency(workers);
    try {
      return await fn();
    } finally {
      lib.concurrency(previous);
    }
  }

  async runFiles(files: string[], outDir: string, filter: PeerFilter, workers: number): Promise<FileRunResult> {
    const n = checkWorkers(this.name, workers);
    const lib = this.ready();
    if (!this.supports(filter)) throw unsupported(this.name, filter);
    const { wallMs, perItemMs } = await this.withConcurrency(n, () =>
      timeBatch(files.length, Math.max(n, DEFAULT_IMAGES_IN_FLIGHT), async (i) => {
        await this.apply(lib(files[i]), filter).png(ENCODE_OPTIONS.png).toFile(outputPath(outDir, files[i]));
      }),
    );
    return { wallMs, perImageMs: perItemMs };
  }

  async runPixels(images: RawImage[], filter: PeerFilter, workers: number): Promise<PixelRunResult> {
    const n = checkWorkers(this.name, workers);
    const lib = this.ready();
    if (!this.supports(filter)) throw unsupported(this.name, filter);
    const outputs = new Array<Uint8Array>(images.length);
    const { wallMs } = await this.withConcurrency(n, () =>
      timeBatch(images.length, Math.max(n, DEFAULT_IMAGES_IN_FLIGHT), async (i) => {
        const { rgba, width, height } = images[i];
        outputs[i] = await this.apply(lib(rgba, { raw: { width, height, channels: 4 } }), filter).raw().toBuffer();
      }),
    );
    return { wallMs, outputs };
  }

  async close(): Promise<void> {
    this.lib = undefined;
  }
}
