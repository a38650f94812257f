/** The image formats tessera reads and writes, and how a file says it is one. */

/** Formats tessera reads and writes (AVIF is libvips' HEIF reader and writer with the AV1 codec, as sharp builds it). */
export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'avif' | 'gif' | 'tiff';

/** Every format, in the order `--format` lists them. */
export const IMAGE_FORMATS: readonly ImageFormat[] = ['png', 'jpeg', 'webp', 'avif', 'gif', 'tiff'];

/** How messages name each format. */
export const FORMAT_NAMES: Readonly<Record<ImageFormat, string>> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP', avif: 'AVIF', gif: 'GIF', tiff: 'TIFF' };

/** File extensions recognised as images, and the format each names. */
const EXTENSION_FORMATS: Readonly<Record<string, ImageFormat>> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
  '.avif': 'avif',
  '.gif': 'gif',
  '.tif': 'tiff',
  '.tiff': 'tiff',
};

/** File extensions recognised as images. */
export const IMAGE_EXTENSIONS: readonly string[] = Object.keys(EXTENSION_FORMATS);

/** The extension an output in `format` is given (when it is not the input's own). */
export const FORMAT_EXTENSIONS: Readonly<Record<ImageFormat, string>> = { png: '.png', jpeg: '.jpg', webp: '.webp', avif: '.avif', gif: '.gif', tiff: '.tiff' };

/** The format an extension names (any case), or undefined. */
export function formatOfExtension(ext: string): ImageFormat | undefined {
  return EXTENSION_FORMATS[ext.toLowerCase()];
}

/**
 * The tessera format of what libvips' header read says (`metadata().format`, and for HEIF its
 * `compression`), or undefined for one tessera does not read.
 */
export function formatOfLibvips(format: string | undefined, compression?: string): ImageFormat | undefined {
  switch (format) {
    case 'png':
    case 'jpeg':
    case 'webp':
    case 'gif':
    case 'tiff':
      return format;
    case 'heif':
      // sharp's prebuilt libvips decodes AV1 only; an HEVC HEIC is refused by the decoder with its own message.
      return compression === 'av1' ? 'avif' : undefined;
    default:
      return undefined;
  }
}
