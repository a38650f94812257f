/** Image files through sharp: raw RGBA in, decoded RGBA out. (Loads libvips: the pure helpers are in images.ts.) */
import sharp from 'sharp';
import { randomImage, rng } from './images.js';

/** A sharp pipeline over raw RGBA8 pixels, to encode or convert. */
export function fromRgba(rgba: Uint8Array, width: number, height: number): ReturnType<typeof sharp> {
  return sharp(rgba, { raw: { width, height, channels: 4 } });
}

/** Writes a PNG of random opaque pixels (seeded) and returns its path. */
export async function writeRandomPng(file: string, width: number, height: number, seed: number | (() => number)): Promise<string> {
  const next = typeof seed === 'number' ? rng(seed) : seed;
  await fromRgba(randomImage(width, height, next, true), width, height).png().toFile(file);
  return file;
}

/** Decodes any image to sRGB RGBA8 (gray and RGB expanded, alpha 255 where there is none). */
export async function decodeRgba(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(file).toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}
