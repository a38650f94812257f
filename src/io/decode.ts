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

/** What an image file declares before any pixel is decoded. */
export interface ImageHeader {
  width: number;
  height: number;
  format: ImageFormat;
  /** The input has an alpha channel (RGBA or gray+alpha). */
  hasAlpha: boolean;
}

/** A decoded image: RGBA8, rows packed, plus what the encoder needs to write it back alike. */
export interface DecodedImage extends ImageHeader {
  /** width·height·4 bytes. */
  data: Uint8Array;
}

/**
 * What the file's first bytes say of it, without libvips: undefined when they are unclear
 * or the file cannot be read (a queue coordinator asks this of every input, to know the
 * big ones, and leaves every verdict on the rest to the worker that decodes it).
 */
export async function sniffImageFile(file: string): Promise<ImageHeader | undefined> {
  try {
    const { size } = await stat(file);
    return size > 0 ? sniffImage(await readHead(file, Math.min(size, HEAD_BYTES))) : undefined;
  } catch {
    return undefined;
  }
}

/** An exact pixel count that still reads right at the limit: `268,435,456 pixels (268.4 Mpx)`, `1,200 pixels`. */
function pixelCount(n: number): string {
  const exact = `${n.toLocaleString('en-US')} pixels`;
  return n >= 1e6 ? `${exact} (${(n / 1e6).toFixed(1)} Mpx)` : exact;
}

function failer(file: string) {
  return (reason: string, cause?: unknown): never => {
    throw new TesseraError(ErrorCode.Image, `${file}: ${reason}`, { cause });
  };
}

/**
 * Reads what an image file declares (format, size, alpha) and refuses it, before any
 * pixel is decoded, when it is not an image tessera reads or has more than `maxPixels`.
 * @param bytes the file's contents, when they are in memory already (`file` then only names it)
 * @throws TesseraError Image naming the file and the reason
 */
export async function readImageHeader(file: string, maxPixels = DEFAULT_MAX_PIXELS, bytes?: Uint8Array): Promise<ImageHeader> {
  const fail = failer(file);
  let head: Uint8Array;
  if (bytes) {
    if (bytes.length === 0) fail('is empty (0 bytes)');
    head = bytes.subarray(0, HEAD_BYTES);
  } else {
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
  }
  // Dimensions are checked before a single pixel is decoded: from the bytes when they
  // are clear, else from libvips' header read.
  let header = sniffImage(head);
  if (!header) {
    let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
    try {
      meta = await sharp(bytes ?? file, { limitInputPixels: false }).metadata();
    } catch (err) {
      return fail(`not a readable image (${describeSharpError(err)})`, err);
    }
    const format = meta.format === 'jpeg' || meta.format === 'png' || meta.format === 'webp' ? meta.format : undefined;
    if (!format) fail(`unsupported format ${meta.format ?? 'unknown'} (tessera reads PNG, JPEG and WebP)`);
    header = { format: format!, width: meta.width ?? 0, height: meta.height ?? 0, hasAlpha: meta.hasAlpha === true };
  }
  const pixels = header.width * header.height;
  if (pixels > maxPixels) {
    fail(`declares ${header.width}×${header.height} = ${pixelCount(pixels)}, over the limit of ${pixelCount(maxPixels)} (--max-pixels); refused before decoding`);
  }
  return header;
}

/** The libvips pipeline every decode runs: sRGB, 8-bit, with an alpha channel. */
function rgbaPipeline(source: string | Uint8Array, maxPixels: number) {
  return sharp(source, { limitInputPixels: maxPixels, failOn: 'error' }).toColourspace('srgb').ensureAlpha();
}

/**
 * Decodes an image file to RGBA8 with sharp (libvips).
 * @param maxPixels refuse images with more pixels than this, before decoding them
 * @throws TesseraError Image naming the file and the reason
 */
export async function decodeImage(file: string, maxPixels = DEFAULT_MAX_PIXELS): Promise<DecodedImage> {
  return decodePixels(file, await readImageHeader(file, maxPixels), maxPixels);
}

/**
 * Decodes the pixels of a file whose header was read by {@link readImageHeader}.
 * @param bytes the file's contents, when they are in memory already
 * @throws TesseraError Image naming the file and the reason
 */
export async function decodePixels(file: string, header: ImageHeader, maxPixels = DEFAULT_MAX_PIXELS, bytes?: Uint8Array): Promise<DecodedImage> {
  const fail = failer(file);
  const { format, hasAlpha } = header;
  try {
    const { data, info } = await rgbaPipeline(bytes ?? file, maxPixels)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) fail(`decoded to ${info.channels} channels, expected 4`);
    return { width: info.width, height: info.height, data, format, hasAlpha };
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    return fail(`cannot decode: ${describeSharpError(err)}`, err);
  }
}

/**
 * Decodes an image file to RGBA8 in a libvips `.v` file at `target`, which libvips writes
 * front to back (a 64-byte header, then the rows): a reader may take rows as they land,
 * before the promise settles. Memory stays small whatever the image's size.
 * @throws TesseraError Image naming the file and the reason
 */
export async function decodeToVipsFile(file: string, maxPixels: number, target: string): Promise<void> {
  try {
    // libvips picks its .v writer from the suffix (sharp's toFormat does not name it).
    await rgbaPipeline(file, maxPixels).toFile(target);
  } catch (err) {
    return failer(file)(`cannot decode: ${describeSharpError(err)}`, err);
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
