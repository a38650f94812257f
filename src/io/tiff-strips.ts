/**
 * The output side of a big image: an uncompressed RGBA8 TIFF whose strips are written
 * as bands finish, in any order, at offsets fixed up front; libvips then encodes it.
 * TIFF rather than libvips' own `.v`: libvips maps a `.v` it reads whole (its pages then
 * count in the process's RSS — 1.6 GB for a 400 Mpx image), while it reads a TIFF's
 * strips with plain reads (~50 MB whatever the size). BigTIFF (64-bit offsets) past
 * classic TIFF's 4 GiB.
 *
 * Only what a baseline reader needs: size, 4 × 8-bit samples (RGB + unassociated
 * alpha), no compression, one strip per band.
 */
import { open, type FileHandle } from 'node:fs/promises';

const TAG = {
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  ExtraSamples: 338,
} as const;
const SHORT = 3;
const LONG = 4;
const LONG8 = 16;

/** Where the pixels start: past header, directory and strip tables, page-aligned. */
function align4k(n: number): number {
  return Math.ceil(n / 4096) * 4096;
}

/** An uncompressed RGBA8 TIFF being filled strip by strip. */
export class TiffStripWriter {
  private constructor(
    private readonly handle: FileHandle,
    readonly width: number,
    readonly height: number,
    private readonly dataStart: number,
  ) {}

  /**
   * Creates `path` for a `width`×`height` RGBA8 image cut in strips of `rowsPerStrip`
   * rows, and writes its header and directory.
   */
  static async create(path: string, width: number, height: number, rowsPerStrip: number): Promise<TiffStripWriter> {
    const rowBytes = width * 4;
    const strips = Math.ceil(height / rowsPerStrip);
    const pixelBytes = rowBytes * height;
    const big = pixelBytes + 64 * 1024 + strips * 16 > 0xffff_ffff;
    const header = big ? 16 : 8;
    const entrySize = big ? 20 : 12;
    const inline = big ? 8 : 4;
    const entries = 11;
    const ifdBytes = (big ? 8 : 2) + entries * entrySize + (big ? 8 : 4);
    const offsetSize = big ? 8 : 4;
    const bitsAt = header + ifdBytes;
    const offsetsAt = bitsAt + 8;
    const countsAt = offsetsAt + strips * offsetSize;
    const dataStart = align4k(countsAt + strips * offsetSize);

    const buf = Buffer.alloc(dataStart);
    buf.write('II', 0, 'latin1');
    if (big) {
      buf.writeUInt16LE(43, 2);
      buf.writeUInt16LE(8, 4);
      buf.writeUInt16LE(0, 6);
      buf.writeBigUInt64LE(BigInt(header), 8);
    } else {
      buf.writeUInt16LE(42, 2);
      buf.writeUInt32LE(header, 4);
    }
    let at = header;
    if (big) {
      buf.writeBigUInt64LE(BigInt(entries), at);
      at += 8;
    } else {
      buf.writeUInt16LE(entries, at);
      at += 2;
    }
    const writeValue = (pos: number, value: number, size: number) => {
      if (size === 8) buf.writeBigUInt64LE(BigInt(value), pos);
      else if (size === 4) buf.writeUInt32LE(value, pos);
      else buf.writeUInt16LE(value, pos);
    };
    /** One directory entry: `count` values of `type`, inline when they fit, else at `offset`. */
    const entry = (tag: number, type: number, count: number, valueOrOffset: number) => {
      buf.writeUInt16LE(tag, at);
      buf.writeUInt16LE(type, at + 2);
      writeValue(at + 4, count, big ? 8 : 4);
      const size = type === SHORT ? 2 : type === LONG ? 4 : 8;
      writeValue(at + 4 + (big ? 8 : 4), valueOrOffset, count * size <= inline ? size : big ? 8 : 4);
      at += entrySize;
    };
    const offsetType = big ? LONG8 : LONG;
    entry(TAG.ImageWidth, LONG, 1, width);
    entry(TAG.ImageLength, LONG, 1, height);
    entry(TAG.BitsPerSample, SHORT, 4, bitsAt);
    if (big) for (let i = 0; i < 4; i++) buf.writeUInt16LE(8, at - 8 + 2 * i); // 8 bytes: inline in BigTIFF
    entry(TAG.Compression, SHORT, 1, 1);
    entry(TAG.Photometric, SHORT, 1, 2);
    entry(TAG.StripOffsets, offsetType, strips, strips === 1 ? dataStart : offsetsAt);
    entry(TAG.SamplesPerPixel, SHORT, 1, 4);
    entry(TAG.RowsPerStrip, LONG, 1, rowsPerStrip);
    entry(TAG.StripByteCounts, offsetType, strips, strips === 1 ? pixelBytes : countsAt);
    entry(TAG.PlanarConfiguration, SHORT, 1, 1);
    entry(TAG.ExtraSamples, SHORT, 1, 2); // unassociated alpha
    writeValue(at, 0, big ? 8 : 4); // no next directory
    for (let i = 0; i < 4; i++) buf.writeUInt16LE(8, bitsAt + 2 * i);
    for (let s = 0; s < strips; s++) {
      const rows = Math.min(rowsPerStrip, height - s * rowsPerStrip);
      writeValue(offsetsAt + s * offsetSize, dataStart + s * rowsPerStrip * rowBytes, offsetSize);
      writeValue(countsAt + s * offsetSize, rows * rowBytes, offsetSize);
    }
    const handle = await open(path, 'w');
    try {
      await handle.write(buf, 0, buf.length, 0);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return new TiffStripWriter(handle, width, height, dataStart);
  }

  /** Writes tightly packed RGBA rows starting at image row `y`. */
  async writeRows(y: number, rows: Uint8Array): Promise<void> {
    let done = 0;
    const position = this.dataStart + y * this.width * 4;
    while (done < rows.length) {
      const { bytesWritten } = await this.handle.write(rows, done, rows.length - done, position + done);
      done += bytesWritten;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
