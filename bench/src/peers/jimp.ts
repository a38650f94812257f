/**
 * Peer `jimp`: jimp 1.x, image processing in pure JavaScript (pngjs for PNG). Single
 * threaded, on the main thread: the "no native code, no WASM" end of the scale.
 *
 * - Decode: the file is read with `fs.readFile` and given to `Jimp.read(buffer)` (what
 *   `Jimp.read(path)` does itself; reading it first lets the header say whether the input
 *   has alpha). jimp always holds RGBA8.
 * - grayscale = `greyscale()`: 0.2126 R + 0.7152 G + 0.0722 B in gamma space (BT.709 luma,
 *   float, truncated when stored) — the same formula as tessera's filter.
 * - gaussian-blur = `gaussian(sigma)` (jimp's "true Gaussian, VERY slow"; `blur(r)` is a
 *   two-pass box blur, not a Gaussian, so it is not used). jimp's `r` is the standard
 *   deviation: weights exp(−d²/2r²) over a (2·ceil(2.57 r) + 1)² square, i.e. a 13×13
 *   non-separable kernel for sigma 2. It writes its results *in place*, so pixels above
 *   and to the left of each output are already blurred when read: jimp's quirk, measured
 *   as is. sigma < 1 is refused by jimp and unsupported here.
 * - PNG: `getBuffer('image/png', { deflateLevel: 6, deflateStrategy: 0, filterType: 0 })`
 *   — zlib level 6, filter none, zlib's default strategy (jimp's own default is level 9
 *   with Z_RLE); `colorType` 0 (gray) for grayscale and 2 (RGB) for blur, 4 / 6 when the
 *   input has alpha, so the layouts match the other peers.
 * - Filter stage alone: `Jimp.fromBitmap({ data, width, height })` over a copy of the RGBA
 *   (jimp filters in place) → filter → `bitmap.data` (RGBA).
 * - Threads: none. `effectiveWorkers` is always 1 and images run one after another.
 */
import { readFile, writeFile } from 'node:fs/promises';
import {
  checkWorkers, now, outputPath, peerError, PNG_COMPRESSION_LEVEL, pngHasAlpha, sigmaOf, unsupported,
  type FileRunResult, type Peer, type PeerFilter, type PixelRunResult, type RawImage,
} from './common.js';

type JimpModule = typeof import('jimp');
type JimpImage = ReturnType<JimpModule['Jimp']['fromBitmap']>;

/** pngjs colour types. */
const GRAY = 0;
const RGB = 2;
const GRAY_ALPHA = 4;
const RGBA = 6;
/** zlib's Z_DEFAULT_STRATEGY; PNG row filter "none". */
const Z_DEFAULT_STRATEGY = 0;
const FILTER_NONE = 0;

export class JimpPeer implements Peer {
  readonly name = 'jimp' as const;
  readonly description =
    'jimp (pure JavaScript, single thread): greyscale() (BT.709 luma) / gaussian(sigma) (13×13 kernel at sigma 2, in place), pngjs at level 6 filter none';
  private lib: JimpModule | undefined;

  supports(filter: PeerFilter): boolean {
    if (filter.name === 'grayscale') return true;
    if (filter.name === 'gaussian-blur') {
      const s = sigmaOf(filter);
      return Number.isFinite(s) && s >= 1;
    }
    return false;
  }

  async init(): Promise<number> {
    if (this.lib) return 0;
    const t = now();
    try {
      this.lib = await import('jimp');
    } catch (err) {
      throw peerError(this.name, `cannot load jimp: ${(err as Error).message}`, err);
    }
    return now() - t;
  }

  /** Always 1: jimp runs on the calling thread only. */
  effectiveWorkers(workers: number): number {
    checkWorkers(this.name, workers);
    return 1;
  }

  private ready(filter: PeerFilter): JimpModule {
    if (!this.lib) throw peerError(this.name, 'init() was not called');
    if (!this.supports(filter)) throw unsupported(this.name, filter);
    return this.lib;
  }

  private apply(img: JimpImage, filter: PeerFilter): void {
    if (filter.name === 'grayscale') img.greyscale();
    else img.gaussian(sigmaOf(filter));
  }

  async runFiles(files: string[], outDir: string, filter: PeerFilter, workers: number): Promise<FileRunResult> {
    checkWorkers(this.name, workers);
    const { Jimp } = this.ready(filter);
    const perImageMs: number[] = [];
    const start = now();
    for (const file of files) {
      const t = now();
      const bytes = await readFile(file);
      const alpha = pngHasAlpha(bytes) ?? true;
      const img = (await Jimp.read(bytes)) as unknown as JimpImage;
      this.apply(img, filter);
      const colorType = filter.name === 'grayscale' ? (alpha ? GRAY_ALPHA : GRAY) : alpha ? RGBA : RGB;
      const png = await img.getBuffer('image/png', {
        deflateLevel: PNG_COMPRESSION_LEVEL,
        deflateStrategy: Z_DEFAULT_STRATEGY,
        filterType: FILTER_NONE,
        colorType,
        inputHasAlpha: true,
      });
      await writeFile(outputPath(outDir, file), png);
      perImageMs.push(now() - t);
    }
    return { wallMs: now() - start, perImageMs };
  }

  async runPixels(images: RawImage[], filter: PeerFilter, workers: number): Promise<PixelRunResult> {
    checkWorkers(this.name, workers);
    const { Jimp } = this.ready(filter);
    const outputs: Uint8Array[] = [];
    const start = now();
    for (const { rgba, width, height } of images) {
      const img = Jimp.fromBitmap({ data: Buffer.from(rgba), width, height });
      this.apply(img, filter);
      outputs.push(img.bitmap.data);
    }
    return { wallMs: now() - start, outputs };
  }

  async close(): Promise<void> {
    this.lib = undefined;
  }
}
