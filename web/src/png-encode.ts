/**
 * RGBA8 to PNG in the page, laid out as `tessera run` writes it (src/io/encode.ts and
 * libvips' libpng writer under sharp's `png({ compressionLevel: 6, adaptiveFiltering:
 * false })`): the same channel layout (the input's, or 1-channel gray when every pixel
 * is gray, 2 when gray with some alpha below 255), 8 bits, no interlace, filter type 0
 * on every row, a pHYs chunk of 1000 px/m (libvips' default resolution for raw pixels)
 * and IDAT chunks of 8192 bytes (libpng's buffer). The one difference left is inside
 * the IDAT stream: libvips deflates with zlib-ng 2.x, whose level-6 matcher no
 * JavaScript deflate reproduces, and fflate's level 6 codes the same bytes differently.
 * Inflated, the two files are byte-identical.
 */
import { zlibSync } from 'fflate';

/** Channel layout written to the file (src/io/encode.ts's ChannelLayout). */
export type ChannelLayout = 'gray' | 'gray-alpha' | 'rgb' | 'rgba';

/** Whether every pixel is gray (r = g = b), and whether all are opaque: pack-gray's three answers. */
export type GrayStatus = 'color' | 'gray-opaque' | 'gray-alpha';

const CHANNELS: Readonly<Record<ChannelLayout, number>> = { gray: 1, 'gray-alpha': 2, rgb: 3, rgba: 4 };
const COLOUR_TYPE: Readonly<Record<ChannelLayout, number>> = { gray: 0, 'gray-alpha': 4, rgb: 2, rgba: 6 };

/** libpng's zlib output buffer (PNG_ZBUF_SIZE): every IDAT chunk but the last holds this many bytes. */
const IDAT_BYTES = 8192;

/** The gray check tessera runs on every output (assembly/host/pack-gray.ts). */
export function grayStatus(rgba: Uint8Array): GrayStatus {
  const words = new Uint32Array(rgba.buffer, rgba.byteOffset, rgba.length >>> 2);
  let alpha = 0xff;
  for (let i = 0; i < words.length; i++) {
    const v = words[i]; // little-endian: r in the low byte
    const r = v & 0xff;
    if (((v >>> 8) & 0xff) !== r || ((v >>> 16) & 0xff) !== r) return 'color';
    alpha &= v >>> 24;
  }
  return alpha === 0xff ? 'gray-opaque' : 'gray-alpha';
}

/** The layout tessera writes for an output whose gray check gave `status` (src/io/encode.ts's outputLayout). */
export function outputLayout(status: GrayStatus, inputHasAlpha: boolean): ChannelLayout {
  if (status === 'color') return inputHasAlpha ? 'rgba' : 'rgb';
  return status === 'gray-opaque' || !inputHasAlpha ? 'gray' : 'gray-alpha';
}

/** PNG's scanlines: a filter byte (0, none) then the row's samples in `layout`. */
function scanlines(rgba: Uint8Array, width: number, height: number, layout: ChannelLayout): Uint8Array {
  const channels = CHANNELS[layout];
  const rowBytes = width * channels;
  const out = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    let o = y * (rowBytes + 1) + 1;
    let s = y * width * 4;
    if (layout === 'rgba') {
      out.set(rgba.subarray(s, s + width * 4), o);
      continue;
    }
    for (let x = 0; x < width; x++, s += 4) {
      if (layout === 'rgb') {
        out[o++] = rgba[s];
        out[o++] = rgba[s + 1];
        out[o++] = rgba[s + 2];
      } else {
        out[o++] = rgba[s];
        if (layout === 'gray-alpha') out[o++] = rgba[s + 3];
      }
    }
  }
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One chunk: length, type, data, CRC over type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An encoded image and the layout it was written in. */
export interface EncodedPng {
  bytes: Uint8Array;
  layout: ChannelLayout;
}

/**
 * Encodes RGBA8 pixels as `tessera run` would write them (see the module comment for
 * what matches and what does not).
 * @param inputHasAlpha the decoded file had alpha: RGBA out, else RGB (or gray)
 */
export function encodePng(rgba: Uint8Array, width: number, height: number, inputHasAlpha: boolean): EncodedPng {
  const layout = outputLayout(grayStatus(rgba), inputHasAlpha);
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = COLOUR_TYPE[layout];
  const phys = new Uint8Array(9);
  new DataView(phys.buffer).setUint32(0, 1000);
  new DataView(phys.buffer).setUint32(4, 1000);
  phys[8] = 1; // metre
  const stream = zlibSync(scanlines(rgba, width, height, layout), { level: 6 });
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('pHYs', phys)];
  for (let at = 0; at < stream.length; at += IDAT_BYTES) parts.push(chunk('IDAT', stream.subarray(at, at + IDAT_BYTES)));
  parts.push(chunk('IEND', new Uint8Array(0)));
  const bytes = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, layout };
}
