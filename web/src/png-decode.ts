/**
 * PNG to RGBA8 in the page, exactly as `tessera run` decodes it (libvips through sharp:
 * `toColourspace('srgb').ensureAlpha()`, 8 bits), with fast-png for the file format.
 * Not the canvas: a canvas premultiplies alpha, so semi-transparent pixels do not
 * survive a round trip. libvips' conversions, checked against sharp for every layout:
 * gray is copied to r, g and b; 16-bit samples keep their high byte (v >> 8); 1-, 2- and
 * 4-bit gray scale to 0..255 (v × 255 / (2^d − 1)); palettes expand, their tRNS entries
 * become alpha; a tRNS colour key makes matching pixels transparent.
 */
import { convertIndexedToRgb, decode, type DecodedPng } from 'fast-png';

/** A decoded image, as tessera's decode gives it: RGBA8 rows, packed. */
export interface DecodedImage {
  width: number;
  height: number;
  rgba: Uint8Array;
  /** The file has alpha (RGBA, gray+alpha, or a tRNS chunk): what decides RGB or RGBA out. */
  hasAlpha: boolean;
  /** What the page could not do as tessera does, said to the user. */
  notes: string[];
}

/** The 8 PNG signature bytes. */
export function isPng(bytes: Uint8Array): boolean {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length >= 8 && sig.every((b, i) => bytes[i] === b);
}

/** Width and height from the IHDR chunk, before anything is inflated (the pixel limit is checked on them). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Sample `i` of a row-packed 1/2/4-bit image (rows padded to whole bytes), scaled to 0..255. */
function lowDepthSample(data: ArrayLike<number>, width: number, depth: number, p: number): number {
  const x = p % width;
  const row = (p - x) / width;
  const rowBytes = Math.ceil((width * depth) / 8);
  const bit = x * depth;
  const v = (data[row * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  return (v * 255) / ((1 << depth) - 1);
}

/**
 * Decodes a PNG to RGBA8 as libvips does.
 * @throws Error when fast-png refuses the file or its data is short (the page then asks the server for tessera's verdict)
 */
export function decodePng(bytes: Uint8Array): DecodedImage {
  const png: DecodedPng = decode(bytes, { checkCrc: true });
  const { width, height, depth, channels } = png;
  const n = width * height;
  const rgba = new Uint8Array(n * 4);
  const notes: string[] = [];
  if (png.iccEmbeddedProfile) {
    notes.push(`This PNG embeds an ICC profile (${png.iccEmbeddedProfile.name}): tessera run converts it to sRGB through the profile (lcms), the page keeps the stored values, so pixels may differ.`);
  }
  let hasAlpha = channels === 2 || channels === 4;
  if (png.palette) {
    const colours = png.palette[0]?.length ?? 3;
    const expanded = convertIndexedToRgb(png);
    hasAlpha = colours === 4;
    for (let p = 0; p < n; p++) {
      const s = p * colours;
      rgba[p * 4] = expanded[s];
      rgba[p * 4 + 1] = expanded[s + 1];
      rgba[p * 4 + 2] = expanded[s + 2];
      rgba[p * 4 + 3] = colours === 4 ? expanded[s + 3] : 255;
    }
    return { width, height, rgba, hasAlpha, notes };
  }
  const data = png.data;
  const expected = depth < 8 ? Math.ceil((width * depth) / 8) * height * channels : n * channels;
  if (data.length < expected) throw new Error(`the image data is truncated (${data.length} of ${expected} samples)`);
  const key = png.transparency && png.transparency.length >= (channels >= 3 ? 3 : 1) ? png.transparency : undefined;
  if (key) hasAlpha = true;
  if (depth === 8 && !key && (channels === 4 || channels === 3)) {
    // The common photos, without a call per sample.
    if (channels === 4) rgba.set(data.subarray(0, n * 4));
    else for (let p = 0, s = 0, o = 0; p < n; p++, s += 3, o += 4) {
      rgba[o] = data[s];
      rgba[o + 1] = data[s + 1];
      rgba[o + 2] = data[s + 2];
      rgba[o + 3] = 255;
    }
    return { width, height, rgba, hasAlpha, notes };
  }
  const at = (p: number, c: number): number => (depth < 8 ? lowDepthSample(data, width, depth, p) : depth === 16 ? data[p * channels + c] >> 8 : data[p * channels + c]);
  // A tRNS key is compared with the stored samples, at the file's own depth.
  const raw = (p: number, c: number): number => (depth < 8 ? (lowDepthSample(data, width, depth, p) * ((1 << depth) - 1)) / 255 : data[p * channels + c]);
  for (let p = 0; p < n; p++) {
    const o = p * 4;
    if (channels >= 3) {
      rgba[o] = at(p, 0);
      rgba[o + 1] = at(p, 1);
      rgba[o + 2] = at(p, 2);
      rgba[o + 3] = channels === 4 ? at(p, 3) : 255;
      if (key && raw(p, 0) === key[0] && raw(p, 1) === key[1] && raw(p, 2) === key[2]) rgba[o + 3] = 0;
    } else {
      const g = at(p, 0);
      rgba[o] = rgba[o + 1] = rgba[o + 2] = g;
      rgba[o + 3] = channels === 2 ? at(p, 1) : 255;
      if (key && raw(p, 0) === key[0]) rgba[o + 3] = 0;
    }
  }
  return { width, height, rgba, hasAlpha, notes };
}
