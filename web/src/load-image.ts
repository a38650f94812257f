/**
 * From a file the user picked or dropped to RGBA8. PNGs are decoded in the page exactly
 * as tessera decodes them (png-decode.ts); JPEG and WebP go through the browser's own
 * decoder and a canvas, for display-grade pixels the page says are not tessera's. A file
 * the page cannot decode, or whose header is over the pixel limit, is sent to the server
 * for tessera's own verdict, so the message is the one `tessera run` prints.
 */
import type { ApiLimits } from '../../src/serve/api-types.js';
import { checkImage } from './api.js';
import { decodePng, isPng, pngSize, type DecodedImage } from './png-decode.js';

/** A decoded image and how it was decoded. */
export interface LoadedImage extends DecodedImage {
  name: string;
  /** `png`: tessera's exact decode; `browser`: createImageBitmap and a canvas. */
  decoder: 'png' | 'browser';
  /** Time of the decode itself, ms. */
  decodeMs: number;
}

/** An image tessera refuses: `message` is the line `tessera run` prints for it. */
export class ImageRefused extends Error {
  override name = 'ImageRefused';
}

/** tessera's verdict on the file; throws its message when it refuses the file. */
async function verdict(name: string, bytes: Uint8Array, pageReason?: string) {
  const check = await checkImage(name, bytes);
  if (!check.ok) throw new ImageRefused(check.message);
  if (pageReason) throw new ImageRefused(`${name}: tessera reads this file, the page's PNG decoder does not (${pageReason})`);
  return check;
}

/** Decodes with the browser: not tessera's pixels for JPEG (libvips' decoder differs) nor for semi-transparent WebP (the canvas premultiplies). */
async function decodeInBrowser(file: File): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  // imageOrientation 'none': tessera does not apply EXIF orientation either.
  const bitmap = await createImageBitmap(file, { premultiplyAlpha: 'none', colorSpaceConversion: 'none', imageOrientation: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: bitmap.width, height: bitmap.height, rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } finally {
    bitmap.close();
  }
}

/**
 * Decodes `file` to RGBA8.
 * @throws ImageRefused with tessera's message for a file tessera refuses
 */
export async function loadImage(file: File, limits: ApiLimits): Promise<LoadedImage> {
  const name = file.name || 'image';
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (isPng(bytes)) {
    const size = pngSize(bytes);
    // Refused from the header before anything is inflated, as tessera refuses a decompression bomb.
    if (!size || size.width * size.height > limits.maxPixels) await verdict(name, bytes, 'no readable header');
    const t0 = performance.now();
    let decoded: DecodedImage;
    try {
      decoded = decodePng(bytes);
    } catch (err) {
      await verdict(name, bytes, (err as Error).message);
      throw err; // not reached: verdict always throws when given a reason
    }
    return { ...decoded, name, decoder: 'png', decodeMs: performance.now() - t0 };
  }
  const header = await verdict(name, bytes);
  const t0 = performance.now();
  const { width, height, rgba } = await decodeInBrowser(file);
  const decodeMs = performance.now() - t0;
  const notes = [
    `${header.format.toUpperCase()} is decoded by the browser here (the page decodes only PNG itself): tessera run decodes it with libvips, so pixels may differ from tessera run's. The page writes PNG; tessera run writes ${header.format.toUpperCase()} back.`,
  ];
  return { width, height, rgba, hasAlpha: header.hasAlpha, notes, name, decoder: 'browser', decodeMs };
}
