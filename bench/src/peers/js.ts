/**
 * Peer `js`: tessera's own plain-TypeScript filters (`applyReference`, the correctness
 * oracle) with exactly tessera's I/O — what tessera would be without WebAssembly.
 *
 * - End to end: `decodeImage` (sharp → RGBA8) → `applyReference(name, params, …)` on the
 *   whole image → `encodeImage(prepareForEncode(out, hasAlpha), …, 'png', file)`: tessera's
 *   PNG settings (level 6, no adaptive filtering) and layout rule, so grayscale writes a
 *   1-channel PNG and blur keeps RGB. The output is bit-identical to tessera's WASM
 *   filters (same integer arithmetic): grayscale is gamma-space BT.709 luma in Q15,
 *   gaussian-blur a separable integer kernel of radius ceil(3σ).
 * - Params: `resolveParams(loadFilter(name).manifest, { sigma })` — the i32 values the
 *   WASM filter would get (loading the built-in filter validates it; its WASM is not run).
 * - Filter stage alone: `applyReference` on the decoded RGBA (it copies into a padded
 *   buffer first, as the WASM strategies do); outputs are RGBA.
 * - Threads: the filter runs on the main thread, so `effectiveWorkers` is always 1 and
 *   images run one after another. Decode and encode run in sharp's libuv threads at
 *   sharp's current concurrency, untouched — the same as tessera's own I/O.
 */
import { applyReference } from 'tessera/internal/reference/apply-reference';
import { decodeImage } from 'tessera/internal/io/decode';
import { encodeImage, plainTarget, prepareForEncode } from 'tessera/internal/io/encode';
import { loadFilter } from 'tessera/internal/filter/filter-module';
import { resolveParams } from 'tessera/internal/filter/params';
import {
  checkWorkers, now, outputPath, peerError, sigmaOf, unsupported,
  type FileRunResult, type Peer, type PeerFilter, type PixelRunResult, type RawImage,
} from './common.js';

export class JsPeer implements Peer {
  readonly name = 'js' as const;
  readonly description =
    "tessera's plain-TypeScript reference filters on the main thread (bit-identical to its WASM filters), with tessera's sharp decode and PNG encode";
  private initialised = false;

  /** The i32 params for `filter`, or an Error when tessera's manifest refuses them. */
  private params(filter: PeerFilter): number[] {
    const module = loadFilter(filter.name);
    return resolveParams(module.manifest, filter.name === 'gaussian-blur' ? { sigma: sigmaOf(filter) } : {});
  }

  supports(filter: PeerFilter): boolean {
    if (filter.name !== 'grayscale' && filter.name !== 'gaussian-blur') return false;
    try {
      this.params(filter);
      return true;
    } catch {
      return false;
    }
  }

  /** Loads (and validates) the two built-in filters whose manifests give the params. */
  async init(): Promise<number> {
    const t = now();
    try {
      for (const name of ['grayscale', 'gaussian-blur'] as const) {
        const params = this.params({ name });
        applyReference(name, params, new Uint8Array(4), 1, 1);
      }
    } catch (err) {
      throw peerError(this.name, `cannot load tessera's filters: ${(err as Error).message}`, err);
    }
    this.initialised = true;
    return now() - t;
  }

  /** Always 1: the reference filters run on the calling thread. */
  effectiveWorkers(workers: number): number {
    checkWorkers(this.name, workers);
    return 1;
  }

  private ready(filter: PeerFilter): number[] {
    if (!this.initialised) throw peerError(this.name, 'init() was not called');
    if (!this.supports(filter)) throw unsupported(this.name, filter);
    return this.params(filter);
  }

  async runFiles(files: string[], outDir: string, filter: PeerFilter, workers: number): Promise<FileRunResult> {
    checkWorkers(this.name, workers);
    const params = this.ready(filter);
    const perImageMs: number[] = [];
    const start = now();
    for (const file of files) {
      const t = now();
      const img = await decodeImage(file);
      const out = applyReference(filter.name, params, img.data, img.width, img.height);
      await encodeImage(prepareForEncode(out, img.hasAlpha), img.width, img.height, plainTarget('png'), outputPath(outDir, file));
      perImageMs.push(now() - t);
    }
    return { wallMs: now() - start, perImageMs };
  }

  async runPixels(images: RawImage[], filter: PeerFilter, workers: number): Promise<PixelRunResult> {
    checkWorkers(this.name, workers);
    const params = this.ready(filter);
    const outputs: Uint8Array[] = [];
    const start = now();
    for (const { rgba, width, height } of images) outputs.push(applyReference(filter.name, params, rgba, width, height));
    return { wallMs: now() - start, outputs };
  }

  async close(): Promise<void> {
    this.initialised = false;
  }
}
