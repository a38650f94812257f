import sharp from 'sharp';
import { ErrorCode, TesseraError } from '../errors.js';

/** Formats tessera reads and writes. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** File extensions recognised as images. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp'];

/** Default `--max-pixels`: refuses decompression bombs before decoding (sharp's own default, 268 Mpx). */
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

/** A decoded image: RGBA8, rows packed, plus what the encoder needs to write it back alike. */
export interface DecodedImage {
  width: number;
  height: number;
  /** width·height·4 bytes. */
  data: Uint8Array;
  format: ImageFormat;
  /** The input had an alpha channel (RGBA or gray+alpha). */
  hasAlpha: boolean;
}

/**
 * Decodes an image file to RGBA8 with sharp (libvips).
 * @param maxPixels refuse images with more pixels than this, before decoding them
 * @throws TesseraError Image naming the file and the reason
 */
export async function decodeImage(file: string, maxPixels = DEFAULT_MAX_PIXELS): Promise<DecodedImage> {
  try {
    const image = sharp(file, { limitInputPixels: maxPixels, failOn: 'error' });
    const meta = await image.metadata();
    const format = meta.format === 'jpeg' || meta.format === 'png' || meta.format === 'webp' ? meta.format : undefined;
    if (!format) throw new Error(`unsupported format ${meta.format ?? 'unknown'} (tessera reads PNG, JPEG and WebP)`);
    const { data, info } = await image
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`decoded to ${info.channels} channels, expected 4`);
    return { width: info.width, height: info.height, data, format, hasAlpha: meta.hasAlpha === true };
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    throw new TesseraError(ErrorCode.Image, `${file}: cannot decode: ${(err as Error).message}`, { cause: err });
  }
}
