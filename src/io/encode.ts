import { rename, unlink } from 'node:fs/promises';
import { tempNameFor } from './atomic-write.js';
import { sharp } from './sharp.js';
import { ErrorCode, TesseraError } from '../errors.js';
import type { ImageFormat } from './formats.js';
import { release, removeOnExit } from './cleanup.js';
import { packGray, type GrayStatus } from './gray-pack.js';

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
  const layout = outputLayout(status, inputHasAlpha);
  if (layout === 'rgb' || layout === 'rgba') return { layout, pixels: rgba };
  if (layout === 'gray') return { layout, pixels: gray! };
  const n = gray!.length;
  const grayAlpha = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    grayAlpha[2 * i] = gray![i];
    grayAlpha[2 * i + 1] = rgba[4 * i + 3];
  }
  return { layout: 'gray-alpha', pixels: grayAlpha };
}

/** The layout {@link prepareForEncode} writes for pixels whose gray check gave `status`. */
export function outputLayout(status: GrayStatus, inputHasAlpha: boolean): ChannelLayout {
  if (status === 'color') return inputHasAlpha ? 'rgba' : 'rgb';
  return status === 'gray-opaque' || !inputHasAlpha ? 'gray' : 'gray-alpha';
}

/** Encoder settings, the same for tessera and every peer it is compared with. */
export const ENCODE_OPTIONS = {
  png: { compressionLevel: 6, adaptiveFiltering: false },
  jpeg: { quality: 90 },
  webp: { quality: 90 },
} as const;

type SharpPipeline = ReturnType<typeof sharp>;

/** `pipeline` encoding to `format` with tessera's settings. */
function inFormat(pipeline: SharpPipeline, format: ImageFormat): SharpPipeline {
  return format === 'png' ? pipeline.png(ENCODE_OPTIONS.png) : format === 'jpeg' ? pipeline.jpeg(ENCODE_OPTIONS.jpeg) : pipeline.webp(ENCODE_OPTIONS.webp);
}

/**
 * Encodes what `pipeline` produces to `file` in `format`. Writes to a temporary name in
 * the same directory and renames, so a failed or interrupted run never leaves a partial
 * file under the final name.
 * @throws TesseraError Image naming the file
 */
async function writeEncoded(pipeline: SharpPipeline, format: ImageFormat, file: string): Promise<void> {
  const tmp = tempNameFor(file);
  removeOnExit(tmp);
  try {
    await inFormat(pipeline, format).toFile(tmp);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new TesseraError(ErrorCode.Image, `${file}: cannot encode: ${(err as Error).message}`, { cause: err });
  } finally {
    release(tmp);
  }
}

/**
 * Encodes pixels (as {@link prepareForEncode} laid them out; `rgb` means RGBA whose
 * alpha is dropped) to `file` in `format`, never leaving a partial file under its name.
 * The pixels must not change until the returned promise settles (they may be a view
 * into a filter's memory, read without copying).
 * @throws TesseraError Image naming the file
 */
export async function encodeImage(encodable: EncodablePixels, width: number, height: number, format: ImageFormat, file: string): Promise<void> {
  await writeEncoded(rawPipeline(encodable, width, height), format, file);
}

/**
 * {@link encodeImage} into memory: the encoded bytes, exactly what it would write (a queue
 * worker hands them back without a file).
 * @param name names the image in errors
 * @throws TesseraError Image naming it
 */
export async function encodeImageToBuffer(encodable: EncodablePixels, width: number, height: number, format: ImageFormat, name: string): Promise<Buffer> {
  try {
    return await inFormat(rawPipeline(encodable, width, height), format).toBuffer();
  } catch (err) {
    throw new TesseraError(ErrorCode.Image, `${name}: cannot encode: ${(err as Error).message}`, { cause: err });
  }
}

function rawPipeline({ layout, pixels }: EncodablePixels, width: number, height: number): SharpPipeline {
  const channels = (layout === 'rgb' ? 4 : LAYOUT_CHANNELS[layout]) as 1 | 2 | 3 | 4;
  // limitInputPixels: false — the image was admitted from its header already, and raw input has its own 268 Mpx default.
  const img = sharp(pixels, { raw: { width, height, channels }, limitInputPixels: false });
  // Raw input carries no colourspace: without an explicit b-w, libvips writes gray as sRGB.
  if (layout === 'gray' || layout === 'gray-alpha') return img.toColourspace('b-w');
  return layout === 'rgb' ? img.removeAlpha() : img;
}

/**
 * Encodes an RGBA8 image file (the TIFF a big image's bands were written to) to `file`
 * in `format` with `layout` — the layout {@link prepareForEncode} would choose for the
 * same pixels, so a big image comes out like a small one: `gray` keeps the first band,
 * `gray-alpha` converts to b-w (exact for gray pixels, alpha kept), `rgb` drops alpha.
 * libvips streams it: memory stays small whatever the size.
 * @throws TesseraError Image naming the file
 */
export async function encodeFromFile(source: string, layout: ChannelLayout, format: ImageFormat, file: string): Promise<void> {
  let img = sharp(source, { limitInputPixels: false, sequentialRead: true });
  if (layout === 'gray') img = img.extractChannel(0);
  else if (layout === 'gray-alpha') img = img.toColourspace('b-w');
  else if (layout === 'rgb') img = img.removeAlpha();
  await writeEncoded(img, format, file);
}
