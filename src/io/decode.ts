import { stat } from 'node:fs/promises';
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
  const fail = (reason: string, cause?: unknown): never => {
    throw new TesseraError(ErrorCode.Image, `${file}: ${reason}`, { cause });
  };
  let size: number;
  try {
    const st = await stat(file);
    if (st.isDirectory()) fail('is a directory, not an image');
    if (!st.isFile()) fail('is not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    return fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
  }
  if (size === 0) fail('is empty (0 bytes)');
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    // Header only: dimensions are checked before a single pixel is decoded.
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (err) {
    return fail(`not a readable image (${describeSharpError(err)})`, err);
  }
  const format = meta.format === 'jpeg' || meta.format === 'png' || meta.format === 'webp' ? meta.format : undefined;
  if (!format) fail(`unsupported format ${meta.format ?? 'unknown'} (tessera reads PNG, JPEG and WebP)`);
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > maxPixels) {
    fail(`declares ${meta.width}×${meta.height} = ${(pixels / 1e6).toFixed(0)} Mpx, over the limit of ${(maxPixels / 1e6).toFixed(0)} Mpx (--max-pixels); refused before decoding`);
  }
  try {
    const { data, info } = await sharp(file, { limitInputPixels: maxPixels, failOn: 'error' })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) fail(`decoded to ${info.channels} channels, expected 4`);
    return { width: info.width, height: info.height, data, format: format!, hasAlpha: meta.hasAlpha === true };
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    return fail(`cannot decode: ${describeSharpError(err)}`, err);
  }
}

/** libvips' words, with the common corrupt-data cases said plainly. */
function describeSharpError(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  if (/read error|truncated|premature end|crc|corrupt/i.test(message)) return `corrupt or truncated data (${message})`;
  // libvips' error buffer is shared by its threads; under load a failed decode sometimes reaches us without its text.
  if (/^unknown error$/i.test(message.trim())) return 'corrupt or truncated data (libvips gave no detail)';
  return message;
}
