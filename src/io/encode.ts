import { rename, unlink } from 'node:fs/promises';
import { tempNameFor } from './atomic-write.js';
import { sharp } from './sharp.js';
import { ErrorCode, TesseraError } from '../errors.js';
import type { ImageFormat } from './formats.js';
import type { ImageHeader } from './decode.js';
import { iccProfileFile } from './icc-file.js';
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
  /** The same pixels as RGBA, as filtered. */
  rgba: Uint8Array;
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
  if (layout === 'rgb' || layout === 'rgba') return { layout, pixels: rgba, rgba };
  if (layout === 'gray') return { layout, pixels: gray!, rgba };
  const n = gray!.length;
  const grayAlpha = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    grayAlpha[2 * i] = gray![i];
    grayAlpha[2 * i + 1] = rgba[4 * i + 3];
  }
  return { layout: 'gray-alpha', pixels: grayAlpha, rgba };
}

/** The layout {@link prepareForEncode} writes for pixels whose gray check gave `status`. */
export function outputLayout(status: GrayStatus, inputHasAlpha: boolean): ChannelLayout {
  if (status === 'color') return inputHasAlpha ? 'rgba' : 'rgb';
  return status === 'gray-opaque' || !inputHasAlpha ? 'gray' : 'gray-alpha';
}

/**
 * Encoder settings by default: sharp's own defaults (PNG zlib level 6 without adaptive
 * filtering, JPEG and WebP quality 80, AVIF 50), the same for tessera and every peer it is
 * compared with. `--quality` and `--png-level` change them per run.
 */
export const ENCODE_OPTIONS = {
  png: { compressionLevel: 6, adaptiveFiltering: false },
  jpeg: { quality: 80 },
  webp: { quality: 80 },
  avif: { quality: 50 },
} as const;

type SharpPipeline = ReturnType<typeof sharp>;

/** Where and how an image is written: its format, the encoder's settings, and what of the input's metadata to carry over. */
export interface EncodeTarget {
  format: ImageFormat;
  /** JPEG, WebP, AVIF and TIFF (JPEG-compressed: no) quality, 1–100; sharp's default when absent. */
  quality?: number;
  /** PNG zlib level, 0–9 (6). */
  pngLevel?: number;
  /**
   * The input, whose metadata the output keeps (absent with `--strip`): its ICC profile (the
   * filtered sRGB pixels are converted back into it) and its EXIF data (with the orientation
   * reset to 1 when the pixels were turned upright). EXIF is carried by libvips from the input
   * itself, so an image with EXIF is read once more at encode.
   */
  keep?: { source: string | Uint8Array; header: ImageHeader };
  /** An animation (WebP or GIF): the pixels are its frames stacked top to bottom, each `frameHeight` rows. */
  animation?: { frameHeight: number; delay?: number[]; loop?: number };
}

/** The target for `format` with sharp's default settings and no metadata (what peers and tests write). */
export function plainTarget(format: ImageFormat): EncodeTarget {
  return { format };
}

/** `pipeline` encoding to the target's format with its settings. */
function inFormat(pipeline: SharpPipeline, t: EncodeTarget): SharpPipeline {
  switch (t.format) {
    case 'png':
      return pipeline.png({ ...ENCODE_OPTIONS.png, ...(t.pngLevel === undefined ? {} : { compressionLevel: t.pngLevel }) });
    case 'jpeg':
      return pipeline.jpeg({ quality: t.quality ?? ENCODE_OPTIONS.jpeg.quality });
    case 'webp':
      return pipeline.webp({ quality: t.quality ?? ENCODE_OPTIONS.webp.quality, ...animationOptions(t) });
    case 'avif':
      return pipeline.avif({ quality: t.quality ?? ENCODE_OPTIONS.avif.quality });
    case 'gif':
      return pipeline.gif(animationOptions(t));
    case 'tiff':
      return pipeline.tiff(t.quality === undefined ? {} : { quality: t.quality });
  }
}

/** An animation's frame timing, as the input had it. */
function animationOptions(t: EncodeTarget): { loop?: number; delay?: number[] } {
  const a = t.animation;
  return a ? { ...(a.loop === undefined ? {} : { loop: a.loop }), ...(a.delay ? { delay: a.delay } : {}) } : {};
}

/** The input's metadata, onto `pipeline`: the ICC profile (converting into it) and, through `keepExif`, EXIF. */
async function withInputMetadata(pipeline: SharpPipeline, t: EncodeTarget): Promise<SharpPipeline> {
  const icc = t.keep?.header.icc;
  return icc ? pipeline.withIccProfile(await iccProfileFile(icc)) : pipeline;
}

/**
 * Encodes what `pipeline` produces to `file`. Writes to a temporary name in
 * the same directory and renames, so a failed or interrupted run never leaves a partial
 * file under the final name.
 * @throws TesseraError Image naming the file
 */
async function writeEncoded(pipeline: SharpPipeline, t: EncodeTarget, file: string): Promise<void> {
  const tmp = tempNameFor(file);
  removeOnExit(tmp);
  try {
    await inFormat(await withInputMetadata(pipeline, t), t).toFile(tmp);
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
 * alpha is dropped) to `file`, never leaving a partial file under its name.
 * The pixels must not change until the returned promise settles (they may be a view
 * into a filter's memory, read without copying).
 * @throws TesseraError Image naming the file
 */
export async function encodeImage(encodable: EncodablePixels, width: number, height: number, target: EncodeTarget, file: string): Promise<void> {
  await writeEncoded(pixelPipeline(encodable, width, height, target), target, file);
}

/**
 * {@link encodeImage} into memory: the encoded bytes, exactly what it would write (a queue
 * worker hands them back without a file).
 * @param name names the image in errors
 * @throws TesseraError Image naming it
 */
export async function encodeImageToBuffer(encodable: EncodablePixels, width: number, height: number, target: EncodeTarget, name: string): Promise<Buffer> {
  try {
    return await inFormat(await withInputMetadata(pixelPipeline(encodable, width, height, target), target), target).toBuffer();
  } catch (err) {
    throw new TesseraError(ErrorCode.Image, `${name}: cannot encode: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The filtered pixels as a libvips pipeline. With EXIF to keep, the input is the pipeline's
 * base — oriented as it was decoded — and the pixels replace all of it (`blend: 'source'`),
 * so libvips carries the input's EXIF over (`keepExif`; it resets an applied orientation).
 */
function pixelPipeline(encodable: EncodablePixels, width: number, height: number, t: EncodeTarget): SharpPipeline {
  const keep = t.keep;
  if (keep?.header.exif) {
    const base = sharp(keep.source, { limitInputPixels: false, autoOrient: keep.header.autoOrient });
    const rgba = Buffer.from(encodable.rgba.buffer, encodable.rgba.byteOffset, encodable.rgba.byteLength);
    const img = base.composite([{ input: rgba, raw: { width, height, channels: 4 }, blend: 'source' }]).keepExif();
    return inLayout(img, encodable.layout);
  }
  const { layout, pixels } = encodable;
  const channels = (layout === 'rgb' ? 4 : LAYOUT_CHANNELS[layout]) as 1 | 2 | 3 | 4;
  // limitInputPixels: false — the image was admitted from its header already, and raw input has its own 268 Mpx default.
  const pageHeight = t.animation?.frameHeight;
  const img = sharp(pixels, { raw: { width, height, channels, ...(pageHeight ? { pageHeight } : {}) }, limitInputPixels: false });
  // Raw input carries no colourspace: without an explicit b-w, libvips writes gray as sRGB.
  if (layout === 'gray' || layout === 'gray-alpha') return img.toColourspace('b-w');
  return layout === 'rgb' ? img.removeAlpha() : img;
}

/** An RGBA pipeline written in `layout`: `gray` keeps the first band, `gray-alpha` converts to b-w (exact for gray pixels, alpha kept), `rgb` drops alpha. */
function inLayout(img: SharpPipeline, layout: ChannelLayout): SharpPipeline {
  if (layout === 'gray') return img.extractChannel(0);
  if (layout === 'gray-alpha') return img.toColourspace('b-w');
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
export async function encodeFromFile(source: string, layout: ChannelLayout, target: EncodeTarget, file: string): Promise<void> {
  // EXIF is not carried over here (it would mean reading the big input once more); the ICC profile is.
  const t = target.keep ? { ...target, keep: { ...target.keep, header: { ...target.keep.header, exif: false } } } : target;
  await writeEncoded(inLayout(sharp(source, { limitInputPixels: false, sequentialRead: true }), layout), t, file);
}
