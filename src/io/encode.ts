import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { ErrorCode, TesseraError } from '../errors.js';
import type { ImageFormat } from './decode.js';

/** Channel layout written to disk. */
export type ChannelLayout = 'gray' | 'gray-alpha' | 'rgb' | 'rgba';

/** Channels per layout. */
export const LAYOUT_CHANNELS: Readonly<Record<ChannelLayout, number>> = { gray: 1, 'gray-alpha': 2, rgb: 3, rgba: 4 };

/**
 * Chooses the output layout: the input's (alpha kept only if the input had it), except
 * that an image whose every pixel is gray is written with one channel (two when the
 * alpha it keeps is not all opaque): lossless, and a third of the bytes to encode.
 */
export function chooseLayout(rgba: Uint8Array, inputHasAlpha: boolean): ChannelLayout {
  const words = new Uint32Array(rgba.buffer, rgba.byteOffset, rgba.length >>> 2);
  let gray = true;
  let opaque = true;
  for (let i = 0; i < words.length; i++) {
    const v = words[i];
    const r = v & 0xff;
    if (r !== ((v >>> 8) & 0xff) || r !== ((v >>> 16) & 0xff)) {
      gray = false;
      if (!inputHasAlpha) break;
    }
    if (v >>> 24 !== 0xff) opaque = false;
    if (!gray && !opaque) break;
  }
  const keepAlpha = inputHasAlpha && !opaque;
  if (gray) return keepAlpha ? 'gray-alpha' : 'gray';
  return inputHasAlpha ? 'rgba' : 'rgb';
}

/** Encoder settings, the same for tessera and every peer it is compared with. */
export const ENCODE_OPTIONS = {
  png: { compressionLevel: 6, adaptiveFiltering: false },
  jpeg: { quality: 90 },
  webp: { quality: 90 },
} as const;

function toGrayAlpha(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgba.length >>> 2) * 2);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 2) {
    out[j] = rgba[i];
    out[j + 1] = rgba[i + 3];
  }
  return out;
}

/**
 * Encodes RGBA8 pixels to `file` in `format` with the given layout. Writes to a
 * temporary name in the same directory and renames, so a failed or interrupted run
 * never leaves a partial file under the final name. `rgba` must not change until the
 * returned promise settles (it may be a view into shared memory, read without copying).
 * @throws TesseraError Image naming the file
 */
export async function encodeImage(
  rgba: Uint8Array,
  width: number,
  height: number,
  format: ImageFormat,
  layout: ChannelLayout,
  file: string,
): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    let img =
      layout === 'gray-alpha'
        ? sharp(toGrayAlpha(rgba), { raw: { width, height, channels: 2 } })
        : sharp(rgba, { raw: { width, height, channels: 4 } });
    if (layout === 'gray') img = img.extractChannel(0);
    else if (layout === 'rgb') img = img.removeAlpha();
    img = format === 'png' ? img.png(ENCODE_OPTIONS.png) : format === 'jpeg' ? img.jpeg(ENCODE_OPTIONS.jpeg) : img.webp(ENCODE_OPTIONS.webp);
    await img.toFile(tmp);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new TesseraError(ErrorCode.Image, `${file}: cannot encode: ${(err as Error).message}`, { cause: err });
  }
}
