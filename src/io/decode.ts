import { open, stat } from 'node:fs/promises';
import { sharp } from './sharp.js';
import { ErrorCode, TesseraError } from '../errors.js';
import { DEFAULT_MAX_PIXELS } from '../pipeline/defaults.js';
import type { ImageFormat } from './formats.js';
import { sniffImage } from './sniff.js';

/** Bytes read for the header sniff: enough for PNG chunks before IDAT and JPEG markers before SOF in ordinary files. */
const HEAD_BYTES = 64 * 1024;

async function readHead(file: string, bytes: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buf = new Uint8Array(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

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

/** An exact pixel count that still reads right at the limit: `268,435,456 pixels (268.4 Mpx)`, `1,200 pixels`. */
function pixelCount(n: number): string {
  const exact = `${n.toLocaleString('en-US')} pixels`;
  return n >= 1e6 ? `${exact} (${(n / 1e6).toFixed(1)} Mpx)` : exact;
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
  let head: Uint8Array;
  try {
    const st = await stat(file);
    if (st.isDirectory()) fail('is a directory, not an image');
    if (!st.isFile()) fail('is not a regular file');
    if (st.size === 0) fail('is empty (0 bytes)');
    head = await readHead(file, Math.min(st.size, HEAD_BYTES));
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    return fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
  }
  // Dimensions are checked before a single pixel is decoded: from the bytes when they
  // are clear, else from libvips' header read.
  let header = sniffImage(head);
  if (!header) {
    let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
    try {
      meta = await sharp(file, { limitInputPixels: false }).metadata();
    } catch (err) {
      return fail(`not a readable image (${describeSharpError(err)})`, err);
    }
    const format = meta.format === 'jpeg' || meta.format === 'png' || meta.format === 'webp' ? meta.format : undefined;
    if (!format) fail(`unsupported format ${meta.format ?? 'unknown'} (tessera reads PNG, JPEG and WebP)`);
    header = { format: format!, width: meta.width ?? 0, height: meta.height ?? 0, hasAlpha: meta.hasAlpha === true };
  }
  const { format, hasAlpha } = header;
  const pixels = header.width * header.height;
  if (pixels > maxPixels) {
    fail(`declares ${header.width}×${header.height} = ${pixelCount(pixels)}, over the limit of ${pixelCount(maxPixels)} (--max-pixels); refused before decoding`);
  }
  try {
    const { data, info } = await sharp(file, { limitInputPixels: maxPixels, failOn: 'error' })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) fail(`decoded to ${info.channels} channels, expected 4`);
    return { width: info.width, height: info.height, data, format, hasAlpha };
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
