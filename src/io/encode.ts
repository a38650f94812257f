import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sharp } from './sharp.js';
import { ErrorCode, TesseraError } from '../errors.js';
import type { ImageFormat } from './formats.js';
import { release, removeOnExit } from './cleanup.js';
import { packGray } from './gray-pack.js';

/** Channel layout written to disk. */
export type ChannelLayout = 'gray' | 'gray-alpha' | 'rgb' | 'rgba';

/** Channels per layout. */
export const LAYOUT_CHANNELS: Readonly<Record<ChannelLayout, number>> = { gray: 1, 'gray-alpha': 2, rgb: 3, rgba: 4 };

/** The pixels to encode and how they are laid out. */
export interface EncodablePixels {
  layout: ChannelLayout;
  /** Tightly packed pixels with LAYOUT_CHANNELS[layout] channels. */
  pixels: Uint8Array;
}

/**
 * Chooses the output layout: the input's (alpha kept only if the input had it), except
 * that an image whose every pixel is gray is written with one channel (two when the
 * alpha it keeps is not all opaque): lossless, and a third of the bytes to encode.
 * One SIMD pass both checks and packs the gray channel, because handing libvips a
 * 1-channel buffer encodes ~35% faster than asking it to extract a band from RGBA.
 */
export function prepareForEncode(rgba: Uint8Array, inputHasAlpha: boolean): EncodablePixels {
  const { status, gray } = packGray(rgba);
  if (status === 'color') return { layout: inputHasAlpha ? 'rgba' : 'rgb', pixels: rgba };
  if (status === 'gray-opaque' || !inputHasAlpha) return { layout: 'gray', pixels: gray! };
  const n = gray!.length;
  const grayAlpha = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    grayAlpha[2 * i] = gray![i];
    grayAlpha[2 * i + 1] = rgba[4 * i + 3];
  }
  return { layout: 'gray-alpha', pixels: grayAlpha };
}

/** Encoder settings, the same for tessera and every peer it is compared with. */
export const ENCODE_OPTIONS = {
  png: { compressionLevel: 6, adaptiveFiltering: false },
  jpeg: { quality: 90 },
  webp: { quality: 90 },
} as const;

/**
 * Encodes pixels (as {@link prepareForEncode} laid them out; `rgb` means RGBA whose
 * alpha is dropped) to `file` in `format`. Writes to a temporary name in the same
 * directory and renames, so a failed or interrupted run never leaves a partial file
 * under the final name. The pixels must not change until the returned promise settles
 * (they may be a view into shared memory, read without copying).
 * @throws TesseraError Image naming the file
 */
export async function encodeImage(
  { layout, pixels }: EncodablePixels,
  width: number,
  height: number,
  format: ImageFormat,
  file: string,
): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  removeOnExit(tmp);
  try {
    const channels = (layout === 'rgb' ? 4 : LAYOUT_CHANNELS[layout]) as 1 | 2 | 3 | 4;
    let img = sharp(pixels, { raw: { width, height, channels } });
    // Raw input carries no colourspace: without an explicit b-w, libvips writes gray as sRGB.
    if (layout === 'gray' || layout === 'gray-alpha') img = img.toColourspace('b-w');
    else if (layout === 'rgb') img = img.removeAlpha();
    img = format === 'png' ? img.png(ENCODE_OPTIONS.png) : format === 'jpeg' ? img.jpeg(ENCODE_OPTIONS.jpeg) : img.webp(ENCODE_OPTIONS.webp);
    await img.toFile(tmp);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new TesseraError(ErrorCode.Image, `${file}: cannot encode: ${(err as Error).message}`, { cause: err });
  } finally {
    release(tmp);
  }
}
