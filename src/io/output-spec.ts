/**
 * How outputs are written and named: `--format`, `--quality`, `--png-level`, `--strip` and
 * `--name`/`--suffix`, checked once and applied per image. Defaults follow sharp: the
 * input's format, sharp's encoder settings, metadata kept (ICC profile, EXIF).
 */
import { basename, extname } from 'node:path';
import { ErrorCode, TesseraError } from '../errors.js';
import type { ImageHeader } from './decode.js';
import type { EncodeTarget } from './encode.js';
import { FORMAT_EXTENSIONS, FORMAT_NAMES, IMAGE_FORMATS, type ImageFormat } from './formats.js';

/** What the user asked of the outputs. */
export interface OutputOptions {
  /** `same` (the default) writes each image in its input's format. */
  format?: ImageFormat | 'same';
  /** JPEG, WebP, AVIF and TIFF quality, 1–100. @defaultValue sharp's: 80 (JPEG, WebP), 50 (AVIF) */
  quality?: number;
  /** PNG zlib compression level, 0 (none, fastest) – 9 (smallest). @defaultValue 6 */
  pngLevel?: number;
  /** Write no metadata: no EXIF, no ICC profile (the pixels stay sRGB). @defaultValue false: both kept */
  strip?: boolean;
  /**
   * The output's file name: `{name}` the input's name without its extension, `{ext}` the
   * output's extension (the input's own when the format is unchanged), `{filter}` the filter's
   * name. @defaultValue '{name}.{ext}' — the input's own name when the format is unchanged
   */
  name?: string;
}

/** `--suffix S`: the name pattern it stands for. */
export function suffixPattern(suffix: string): string {
  return `{name}${suffix}.{ext}`;
}

const TOKENS = /\{(name|ext|filter)\}/g;

/**
 * Checks output options, naming the option at fault.
 * @throws TesseraError Usage
 */
export function checkOutputOptions(o: OutputOptions): OutputOptions {
  if (o.format !== undefined && o.format !== 'same' && !IMAGE_FORMATS.includes(o.format)) {
    throw new TesseraError(ErrorCode.Usage, `unknown output format "${String(o.format)}"; valid: same, ${IMAGE_FORMATS.join(', ')}`);
  }
  if (o.quality !== undefined && !(Number.isInteger(o.quality) && o.quality >= 1 && o.quality <= 100)) {
    throw new TesseraError(ErrorCode.Usage, `--quality expects an integer from 1 to 100, got ${o.quality}`);
  }
  if (o.pngLevel !== undefined && !(Number.isInteger(o.pngLevel) && o.pngLevel >= 0 && o.pngLevel <= 9)) {
    throw new TesseraError(ErrorCode.Usage, `--png-level expects an integer from 0 to 9, got ${o.pngLevel}`);
  }
  if (o.name !== undefined) {
    if (!o.name.includes('{name}')) throw new TesseraError(ErrorCode.Usage, `--name "${o.name}" must contain {name} (the input's name), or every output would have the same name`);
    if (/[/\\]|\0/.test(o.name) || o.name.replace(TOKENS, 'x').startsWith('.')) {
      throw new TesseraError(ErrorCode.Usage, `--name "${o.name}" must be a plain file name (no /, \\ or leading dot): outputs go into --output`);
    }
  }
  return o;
}

/** True when outputs may be named unlike their inputs, so that they can sit beside them. */
export function renamesOutputs(o: OutputOptions): boolean {
  return o.name !== undefined && o.name !== '{name}.{ext}';
}

/** The output's file name for `input`. */
export function outputName(input: string, o: OutputOptions, filter: string): string {
  const ext = extname(input);
  const stem = basename(input, ext);
  const sameFormat = o.format === undefined || o.format === 'same';
  const outExt = sameFormat ? ext.slice(1) || 'png' : FORMAT_EXTENSIONS[o.format as ImageFormat].slice(1);
  if (o.name === undefined) return sameFormat ? basename(input) : `${stem}.${outExt}`;
  return o.name.replace(TOKENS, (_m, token: string) => (token === 'name' ? stem : token === 'ext' ? outExt : filter));
}

/**
 * How one image is encoded: its output format and settings, and the input whose metadata it keeps unless stripped.
 * @throws TesseraError Image naming `file` for an animation asked to go into a single-frame format
 */
export function encodeTarget(header: ImageHeader, o: OutputOptions, source: string | Uint8Array, file: string): EncodeTarget {
  const format = o.format === undefined || o.format === 'same' ? header.format : o.format;
  const a = header.animation;
  if (a) {
    if (format !== 'webp' && format !== 'gif') {
      throw new TesseraError(ErrorCode.Image, `${file}: is an animation of ${a.frames} frames, and ${FORMAT_NAMES[format]} holds one: write it as webp or gif (--format same keeps its own), or split the frames first`);
    }
    // An animation's metadata is not carried over (libvips would read the input again, frames and all).
    return { format, quality: o.quality, animation: { frameHeight: header.height, delay: a.delay, loop: a.loop } };
  }
  const keepsSomething = header.exif || header.icc !== undefined;
  return { format, quality: o.quality, pngLevel: o.pngLevel, keep: o.strip || !keepsSomething ? undefined : { source, header } };
}
