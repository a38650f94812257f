/**
 * Reads format, dimensions, alpha and sample depth from an image's first bytes. It saves a
 * separate libvips header read per image on the hot path (~5% of an end-to-end run here);
 * when anything is unclear — and whenever the file may carry an EXIF orientation, an ICC
 * profile, more than one frame or CMYK, which libvips reads better — it answers `undefined`
 * and the caller asks sharp instead. A header it does give has none of those.
 */
import type { ImageFormat } from './formats.js';

/** What the header says. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  hasAlpha: boolean;
  /** Bits per sample in the file (16 for a 16-bit PNG). */
  bitDepth: 8 | 16;
}

const ascii = (b: Uint8Array, at: number, len: number) => String.fromCharCode(...b.subarray(at, at + len));

function png(b: Uint8Array, view: DataView): ImageHeader | undefined {
  if (b.length < 33 || ascii(b, 12, 4) !== 'IHDR') return undefined;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = b[24] === 16 ? 16 : 8;
  const colourType = b[25];
  let hasAlpha = colourType === 4 || colourType === 6;
  // The chunks before the image data: a tRNS gives the other colour types an alpha channel
  // too; an ICC profile, EXIF data or an animation control are left to libvips.
  let at = 8;
  for (;;) {
    if (at + 8 > b.length) return undefined; // ran out of bytes before IDAT: let libvips say
    const len = view.getUint32(at);
    const type = ascii(b, at + 4, 4);
    if (type === 'IDAT' || type === 'IEND') break;
    if (type === 'tRNS') hasAlpha = true;
    if (type === 'iCCP' || type === 'eXIf' || type === 'acTL') return undefined;
    at += 12 + len;
  }
  return { format: 'png', width, height, hasAlpha, bitDepth };
}

function jpeg(b: Uint8Array, view: DataView): ImageHeader | undefined {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const len = view.getUint16(at + 2);
    // APP1 "Exif" (an orientation, perhaps) and APP2 "ICC_PROFILE" are left to libvips.
    if ((marker === 0xe1 && ascii(b, at + 4, 4) === 'Exif') || (marker === 0xe2 && ascii(b, at + 4, 11) === 'ICC_PROFILE')) return undefined;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 >= b.length || (b[at + 9] !== 3 && b[at + 9] !== 1)) return undefined; // CMYK (4 components) or unusual: libvips converts it
      return { format: 'jpeg', height: view.getUint16(at + 5), width: view.getUint16(at + 7), hasAlpha: false, bitDepth: 8 };
    }
    at += 2 + len;
  }
  return undefined;
}

function webp(b: Uint8Array, view: DataView): ImageHeader | undefined {
  if (b.length < 30) return undefined;
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X') {
    const flags = b[20];
    // ICC (0x20), EXIF (0x08) or an animation (0x02): libvips reads those.
    if ((flags & 0x2a) !== 0) return undefined;
    const width = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
    const height = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    return { format: 'webp', width, height, hasAlpha: (flags & 0x10) !== 0, bitDepth: 8 };
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) return undefined;
    const bits = view.getUint32(21, true);
    return { format: 'webp', width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff), hasAlpha: ((bits >>> 28) & 1) === 1, bitDepth: 8 };
  }
  if (chunk === 'VP8 ') {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return { format: 'webp', width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff, hasAlpha: false, bitDepth: 8 };
  }
  return undefined;
}

/** Format, size and alpha from the first bytes of a file, or `undefined` when unsure. */
export function sniffImage(bytes: Uint8Array): ImageHeader | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === 'PNG') return png(bytes, view);
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpeg(bytes, view);
  if (bytes.length >= 16 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return webp(bytes, view);
  return undefined;
}
