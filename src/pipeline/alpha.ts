/**
 * The host's alpha passes around a filter whose manifest says `"alpha": "premultiplied"`
 * (issue 16): each padded region — a whole image or a band, halo included — is premultiplied
 * before its tiles run, and the filtered output is unpremultiplied after, so the colour of
 * transparent pixels never bleeds into visible ones (libvips does the same around its
 * blurs and convolutions). Premultiplying is pointwise, so a band's halo rows come out as the
 * whole image's would: the seams contract holds. The rounding is src/reference/alpha.ts's.
 *
 * Both passes are SIMD (assembly/host/premultiply.ts) and the identity on opaque pixels, which
 * they only read and never write. An opaque region of a built-in filter costs one read of its
 * padded source (the premultiply pass finds nothing to do, and its output, opaque too, needs no
 * unpremultiply); one known to be opaque (`knownOpaque`: the decoder found no alpha channel)
 * costs nothing. Every skip is exact: the pass skipped would have been the identity.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_KERNEL_DIR } from '../filter/artifacts.js';
import type { PreparedImage } from '../strategies/index.js';
import type { PaddedLayout } from '../tiling/padded-image.js';
import { AlphaPasses, type PremultipliedAlpha } from './alpha-passes.js';

export { premultipliedAlpha, type PremultipliedAlpha } from './alpha-passes.js';

let passes: AlphaPasses | undefined;

function load(): AlphaPasses {
  if (!passes) {
    const module = (name: string) => new WebAssembly.Module(readFileSync(join(HOST_KERNEL_DIR, name)));
    passes = new AlphaPasses(module('premultiply.wasm'), module('premultiply.shared.wasm'));
  }
  return passes;
}

/**
 * Premultiplies a padded source (tiling/padded-image.ts) in place, halo and replicated borders included.
 * @param memory the memory `source` views, if any (the pass then runs in place, without a copy)
 * @returns whether any pixel had alpha below 255 (false: the source was opaque and is unchanged)
 */
export function premultiplyPadded(source: Uint8Array, layout: PaddedLayout, memory?: WebAssembly.Memory): boolean {
  return load().premultiplyPadded(source, layout, memory);
}

/** Premultiplies a prepared region's padded source in place; as {@link premultiplyPadded}. */
export function premultiplyRegion(region: PreparedImage): boolean {
  return premultiplyPadded(region.source, region.layout, region.memory);
}

/**
 * Premultiplies a region before a premultiplied filter's tiles run.
 * @param knownOpaque every pixel is opaque (the decoder found no alpha channel): not even scanned
 * @returns whether the filtered output must be unpremultiplied (see {@link AlphaPasses.premultiplyForFilter})
 */
export function premultiplyForFilter(alpha: PremultipliedAlpha, region: PreparedImage, knownOpaque = false): boolean {
  return load().premultiplyForFilter(alpha, region.source, region.layout, knownOpaque, region.memory);
}

/**
 * Unpremultiplies tightly packed RGBA8 pixels in place: a filtered region's output, or its
 * rows in a caller's buffer.
 * @param memory the memory `rgba` views, if any (the pass then runs in place, without a copy)
 * @returns whether any pixel had alpha below 255 (false: nothing changed)
 */
export function unpremultiplyPixels(rgba: Uint8Array, memory?: WebAssembly.Memory): boolean {
  return load().unpremultiplyPacked(rgba, memory);
}
