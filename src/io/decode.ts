import { open, stat } from 'node:fs/promises';
import { sharp } from './sharp.js';
import { ErrorCode, TesseraError } from '../errors.js';
import { DEFAULT_MAX_PIXELS } from '../pipeline/defaults.js';
import type { ImageFormat } from './formats.js';
import { sniffImage, type ImageHeader as SniffedHeader } from './sniff.js';
import { FORMAT_NAMES, formatOfLibvips } from './formats.js';

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
  /** The size the decoded pixels have: as the image is shown, after its EXIF orientation, unless that is kept. */
  width: number;
  height: number;
  format: ImageFormat;
  /** The input has an alpha channel (RGBA or gray+alpha). */
  hasAlpha: boolean;
  /** Bits per sample in the file; a 16-bit image is decoded to 8 (with a warning). */
  bitDepth: 8 | 16;
  /** EXIF orientation, 1 (none) to 8. */
  orientation: number;
  /** The decoder applies the orientation (rotates or flips the pixels upright); false with `keepOrientation`. */
  autoOrient: boolean;
  /** The embedded ICC profile of an RGB or gray input (pixels are filtered in sRGB and converted back into it on output). */
  icc?: Buffer;
  /** The input carries EXIF data. */
  exif: boolean;
  /** A CMYK input: converted to sRGB at decode (through its profile, else libvips' default CMYK one) and written as sRGB. */
  cmyk: boolean;
  /** An animated WebP or GIF: its frames (each `width`×`height`), their delays in ms and its loop count (0: forever). */
  animation?: { frames: number; delay?: number[]; loop?: number };
}

/** Frames of an image: 1 for a still one. */
export const framesOf = (header: Pick<ImageHeader, 'animation'>): number => header.animation?.frames ?? 1;

/** How an image is read. */
export interface ReadOptions {
  /** Keep the pixels as stored, ignoring the EXIF orientation (which is then kept in the output). @defaultValue false */
  keepOrientation?: boolean;
}

/** Orientations 5–8 turn the image a quarter: width and height swap. */
const SWAPS_SIDES = (orientation: number) => orientation >= 5 && orientation <= 8;


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
export async function sniffImageFile(file: string): Promise<SniffedHeader | undefined> {
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
export async function readImageHeader(file: string, maxPixels = DEFAULT_MAX_PIXELS, bytes?: Uint8Array, options: ReadOptions = {}): Promise<ImageHeader> {
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
  const sniffed = sniffImage(head);
  let header: ImageHeader;
  if (sniffed) {
    header = { ...sniffed, orientation: 1, autoOrient: false, exif: false, cmyk: false };
  } else {
    let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
    try {
      meta = await sharp(bytes ?? file, { limitInputPixels: false }).metadata();
    } catch (err) {
      return fail(`not a readable image (${describeSharpError(err)})`, err);
    }
    const format = formatOfLibvips(meta.format, meta.compression);
    if (!format) fail(`unsupported format ${meta.format === 'heif' ? `HEIF (${meta.compression ?? 'unknown'} compression; this libvips decodes AV1 only, i.e. AVIF)` : meta.format ?? 'unknown'} (tessera reads PNG, JPEG, WebP, AVIF, GIF and TIFF)`);
    const pages = meta.pages ?? 1;
    // Read without `animated`, libvips describes the first frame: its height is the frame height.
    const animated = pages > 1 && (format === 'webp' || format === 'gif');
    if (pages > 1 && !animated) {
      const kind = format === 'tiff' ? 'multi-page' : 'animated';
      fail(`is a${kind === 'animated' ? 'n' : ''} ${kind} ${FORMAT_NAMES[format!]} of ${pages} ${kind === 'animated' ? 'frames' : 'pages'}; tessera filters single images and would keep only the first, so it is refused rather than cut short — split it into one file per ${kind === 'animated' ? 'frame' : 'page'} first`);
    }
    const orientation = meta.orientation ?? 1;
    // An animation is filtered frame by frame as stored (libvips orients single images only).
    const autoOrient = orientation > 1 && options.keepOrientation !== true && !animated;
    const turned = autoOrient && SWAPS_SIDES(orientation);
    const cmyk = meta.space === 'cmyk';
    header = {
      format: format!,
      width: (turned ? meta.height : meta.width) ?? 0,
      height: (turned ? meta.width : meta.height) ?? 0,
      hasAlpha: meta.hasAlpha === true,
      bitDepth: meta.depth === 'ushort' ? 16 : 8,
      orientation,
      autoOrient,
      icc: meta.icc && !cmyk ? meta.icc : undefined,
      exif: meta.exif !== undefined,
      cmyk,
      ...(animated ? { animation: { frames: pages, delay: meta.delay, loop: meta.loop } } : {}),
    };
  }
  const pixels = header.width * header.height * framesOf(header);
  if (pixels > maxPixels) {
    fail(`declares ${header.width}×${header.height}${header.animation ? ` × ${header.animation.frames} frames` : ''} = ${pixelCount(pixels)}, over the limit of ${pixelCount(maxPixels)} (--max-pixels); refused before decoding`);
  }
  return header;
}

/** The libvips pipeline every decode runs: upright (unless the orientation is kept), sRGB, 8-bit, with an alpha channel. */
function rgbaPipeline(source: string | Uint8Array, maxPixels: number, header: Pick<ImageHeader, 'autoOrient' | 'animation'>) {
  // An animation decodes as its frames stacked top to bottom, one tall image.
  return sharp(source, { limitInputPixels: maxPixels, failOn: 'error', autoOrient: header.autoOrient, animated: header.animation !== undefined }).toColourspace('srgb').ensureAlpha();
}

/**
 * What a reader of the output should be told about how it differs from the input, beyond the
 * filter: a 16-bit input comes out 8-bit. (Orientation applied, profiles converted and
 * metadata kept are what the owner expects, and need no warning.)
 */
export function decodeWarnings(file: string, header: ImageHeader): string[] {
  return header.bitDepth === 16
    ? [`${file}: 16-bit ${FORMAT_NAMES[header.format]} decoded to 8 bits per channel: tessera's filters take RGBA8, so the output is 8-bit`]
    : [];
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
  try {
    const { data, info } = await rgbaPipeline(bytes ?? file, maxPixels, header)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) fail(`decoded to ${info.channels} channels, expected 4`);
    if (info.width !== header.width || info.height !== header.height * framesOf(header)) fail(`decoded to ${info.width}×${info.height}, but its header declares ${header.width}×${header.height * framesOf(header)}`);
    return { ...header, data };
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
export async function decodeToVipsFile(file: string, header: Pick<ImageHeader, 'autoOrient' | 'animation'>, maxPixels: number, target: string): Promise<void> {
  try {
    // libvips picks its .v writer from the suffix (sharp's toFormat does not name it).
    await rgbaPipeline(file, maxPixels, header).toFile(target);
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
