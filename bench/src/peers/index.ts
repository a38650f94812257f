/**
 * The benchmark peers: other ways of running the same two filters (grayscale and
 * gaussian-blur) on the same images, in the same process, timed end to end (PNG file →
 * filter → PNG file) and, where the library takes raw pixels, for the filter stage alone.
 *
 * | peer      | what                                   | threads for `workers` = N           |
 * |-----------|----------------------------------------|-------------------------------------|
 * | sharp     | native libvips                         | sharp.concurrency(N), N images in flight |
 * | wasm-vips | the same libvips compiled to WASM      | vips.concurrency(N), one image at a time |
 * | photon    | photon-rs, Rust → WASM                 | 1 (main thread)                     |
 * | jimp      | pure JavaScript                        | 1 (main thread)                     |
 * | js        | tessera's TypeScript reference filters | 1 (main thread; sharp I/O as tessera's) |
 * | extism    | tessera's filters as an Extism plugin  | 1 (main thread; sharp I/O as tessera's) |
 *
 * The like-for-like rules (PNG level 6 without adaptive filtering, 1-channel grayscale
 * output, blur keeping the input layout) are in `common.ts`; each peer's file says how it
 * applies them and where its library cannot. No peer spawns worker threads.
 */
import type { Peer, PeerName } from './common.js';
import { ExtismPeer } from './extism.js';
import { JimpPeer } from './jimp.js';
import { JsPeer } from './js.js';
import { PhotonPeer } from './photon.js';
import { SharpPeer } from './sharp.js';
import { WasmVipsPeer } from './wasm-vips.js';

export type { FileRunResult, Peer, PeerFilter, PeerName, PixelRunResult, RawImage } from './common.js';
export { DEFAULT_SIGMA, PNG_COMPRESSION_LEVEL } from './common.js';

/** Every peer, in report order. */
export const PEER_NAMES: readonly PeerName[] = ['sharp', 'wasm-vips', 'photon', 'jimp', 'js', 'extism'];

/**
 * A new, uninitialised peer (call `init()` before running it, `close()` after).
 * @throws RangeError for an unknown name
 */
export function createPeer(name: PeerName): Peer {
  switch (name) {
    case 'sharp':
      return new SharpPeer();
    case 'wasm-vips':
      return new WasmVipsPeer();
    case 'photon':
      return new PhotonPeer();
    case 'jimp':
      return new JimpPeer();
    case 'js':
      return new JsPeer();
    case 'extism':
      return new ExtismPeer();
    default:
      throw new RangeError(`unknown peer "${String(name)}"; valid: ${PEER_NAMES.join(', ')}`);
  }
}
