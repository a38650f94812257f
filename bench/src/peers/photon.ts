/**
 * Peer `photon`: @silvia-odwyer/photon-node (photon-rs, Rust → WebAssembly via
 * wasm-bindgen), a popular "fast image processing in WASM" library. Single-threaded, on
 * the main thread.
 *
 * - Decode: `PhotonImage.new_from_byteslice(bytes)` (image-rs, always to RGBA8).
 * - grayscale = `grayscale_human_corrected`: 0.3 R + 0.59 G + 0.11 B (BT.601 weights,
 *   float, truncated). photon has no BT.709 variant; its plain `grayscale` is the
 *   unweighted mean (R+G+B)/3, further from every other peer, so it is not used.
 * - gaussian-blur = `gaussian_blur(img, r)` with r = sigma. photon's i32 "radius" is fed
 *   to `boxes_for_gauss(radius, 3)` — Kutskir's three box blurs whose combined variance
 *   approximates a Gaussian of standard deviation `radius` — so it *is* sigma; ceil(3σ)
 *   (tessera's halo) would blur three times as much. Only integer sigma ≥ 1 is supported
 *   (the parameter is an i32); photon also clamps it to min(width, height)/2 − 1.
 *   Three box passes ≈ Gaussian: not the same kernel as the other peers.
 * - PNG: `get_bytes()` = image-rs' PNG encoder with its defaults, which photon does not
 *   let a caller change: *fast* deflate (the zlib header says "fastest", not level 6),
 *   *adaptive* row filtering, and always RGBA (4 channels), also for grayscale and for
 *   RGB inputs. Checked on the Kodak-shaped set: a grayscale output is ~2.7× the bytes of
 *   sharp's 1-channel level-6 file. So photon's encode does different work from the
 *   other peers' (less compression effort, more bytes): its end-to-end figure is not
 *   like for like, its filter-stage figure is.
 * - Filter stage alone: `new PhotonImage(rgba, w, h)` (wasm-bindgen copies the pixels
 *   into WASM memory) → filter → `get_raw_pixels()` (copied out); outputs are RGBA.
 *   Every PhotonImage is `free()`d.
 * - Threads: none. `effectiveWorkers` is always 1 and images run one after another
 *   whatever `workers` says (file reads and writes are async but not overlapped).
 */
import type * as PhotonNs from '@silvia-odwyer/photon-node';
import { readFile, writeFile } from 'node:fs/promises';
import {
  checkWorkers, now, outputPath, peerError, sigmaOf, unsupported,
  type FileRunResult, type Peer, type PeerFilter, type PixelRunResult, type RawImage,
} from './common.js';

type Photon = typeof PhotonNs;
type PhotonImage = PhotonNs.PhotonImage;

export class PhotonPeer implements Peer {
  readonly name = 'photon' as const;
  readonly description =
    'photon-rs (Rust → WASM, single thread): grayscale_human_corrected (BT.601) / gaussian_blur(r = sigma, three box blurs), PNG from image-rs defaults (fast deflate, adaptive filtering, always RGBA; not configurable)';
  private lib: Photon | undefined;

  supports(filter: PeerFilter): boolean {
    if (filter.name === 'grayscale') return true;
    if (filter.name === 'gaussian-blur') {
      const s = sigmaOf(filter);
      return Number.isInteger(s) && s >= 1;
    }
    return false;
  }

  /** Imports the package, which compiles and instantiates photon_rs_bg.wasm synchronously. */
  async init(): Promise<number> {
    if (this.lib) return 0;
    const t = now();
    try {
      const mod = await import('@silvia-odwyer/photon-node');
      const probe = new mod.PhotonImage(new Uint8Array([10, 20, 30, 255]), 1, 1);
      mod.grayscale_human_corrected(probe);
      probe.free();
      this.lib = mod;
    } catch (err) {
      throw peerError(this.name, `cannot load @silvia-odwyer/photon-node: ${(err as Error).message}`, err);
    }
    return now() - t;
  }

  /** Always 1: photon runs on the calling thread only. */
  effectiveWorkers(workers: number): number {
    checkWorkers(this.name, workers);
    return 1;
  }

  private ready(filter: PeerFilter): Photon {
    if (!this.lib) throw peerError(this.name, 'init() was not called');
    if (!this.supports(filter)) throw unsupported(this.name, filter);
    return this.lib;
  }

  private apply(lib: Photon, img: PhotonImage, filter: PeerFilter): void {
    if (filter.name === 'grayscale') lib.grayscale_human_corrected(img);
    else lib.gaussian_blur(img, sigmaOf(filter));
  }

  async runFiles(files: string[], outDir: string, filter: PeerFilter, workers: number): Promise<FileRunResult> {
    checkWorkers(this.name, workers);
    const lib = this.ready(filter);
    const perImageMs: number[] = [];
    const start = now();
    for (const file of files) {
      const t = now();
      const bytes = await readFile(file);
      const img = lib.PhotonImage.new_from_byteslice(bytes);
      let png: Uint8Array;
      try {
        this.apply(lib, img, filter);
        png = img.get_bytes();
      } finally {
        img.free();
      }
      await writeFile(outputPath(outDir, file), png);
      perImageMs.push(now() - t);
    }
    return { wallMs: now() - start, perImageMs };
  }

  async runPixels(images: RawImage[], filter: PeerFilter, workers: number): Promise<PixelRunResult> {
    checkWorkers(this.name, workers);
    const lib = this.ready(filter);
    const outputs: Uint8Array[] = [];
    const start = now();
    for (const { rgba, width, height } of images) {
      const img = new lib.PhotonImage(rgba, width, height);
      try {
        this.apply(lib, img, filter);
        outputs.push(img.get_raw_pixels());
      } finally {
        img.free();
      }
    }
    return { wallMs: now() - start, outputs };
  }

  async close(): Promise<void> {
    this.lib = undefined;
  }
}
