/**
 * How the big case checks its outputs without decoding them whole: on a band of rows
 * across the middle of the image, full width. libvips reads a PNG row by row and stops
 * after the band, so checking a 144 Mpx output costs the band's memory (~10 MB), not the
 * image's (~600 MB), and about a second.
 *
 * Two checks, as for the rest of the bench: tessera's band must be bit-identical to the
 * TypeScript reference filter run on the input's band (widened by the filter's halo, so
 * that every compared row sees all the pixels it reads); sharp's blur is a different
 * Gaussian, so against it only closeness is asked, as the peers' test asks it.
 */
import { sharp } from 'tessera/internal/io/sharp';
import { applyReference } from 'tessera/internal/reference/apply-reference';
import { referenceFilters } from 'tessera/internal/reference/index';

/** Rows of the band checked. */
export const BAND_ROWS = 256;

/** Largest mean |Δ| (levels, over R, G and B) allowed between tessera's and sharp's blur: the peers test's bound for sharp at sigma 2. */
export const SHARP_BLUR_TOLERANCE = 2;

/** A band of rows: the first and how many. */
export interface Band {
  top: number;
  rows: number;
}

/** The band of `rows` rows (fewer in a smaller image) centred in an image `height` rows high. */
export function middleBand(height: number, rows = BAND_ROWS): Band {
  const n = Math.min(rows, height);
  return { top: Math.floor((height - n) / 2), rows: n };
}

/** Pixels of a band, tightly packed. */
export interface BandPixels {
  data: Uint8Array;
  width: number;
  rows: number;
  channels: number;
}

/**
 * Reads `band` of an image file as sRGB 8-bit: RGB (`channels` 3) or RGBA (4, alpha added
 * when missing) — the layout tessera decodes to.
 */
export async function readBand(file: string, band: Band, channels: 3 | 4 = 3): Promise<BandPixels> {
  const meta = await sharp(file, { limitInputPixels: false }).metadata();
  const width = meta.width ?? 0;
  let img = sharp(file, { limitInputPixels: false }).extract({ left: 0, top: band.top, width, height: band.rows }).toColourspace('srgb');
  img = channels === 4 ? img.ensureAlpha() : img.removeAlpha();
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, rows: info.height, channels: info.channels };
}

/**
 * What a built-in filter makes of `band` of `input`, by its TypeScript reference: the
 * input's rows from `halo` above the band to `halo` below it (fewer at the image's
 * edges, where the filter clamps), filtered, and the band's rows kept, as RGB.
 * @param params the i32 values p0..p3 (as `resolveParams` returns them)
 * @param height the input's height
 */
export async function referenceBand(input: string, filter: string, params: readonly number[], band: Band, height: number): Promise<BandPixels> {
  const halo = referenceFilters[filter].halo(params);
  const top = Math.max(0, band.top - halo);
  const bottom = Math.min(height, band.top + band.rows + halo);
  const src = await readBand(input, { top, rows: bottom - top }, 4);
  const out = applyReference(filter, params, src.data, src.width, src.rows);
  const rgb = new Uint8Array(src.width * band.rows * 3);
  const first = (band.top - top) * src.width;
  for (let i = 0; i < src.width * band.rows; i++) {
    rgb[i * 3] = out[(first + i) * 4];
    rgb[i * 3 + 1] = out[(first + i) * 4 + 1];
    rgb[i * 3 + 2] = out[(first + i) * 4 + 2];
  }
  return { data: rgb, width: src.width, rows: band.rows, channels: 3 };
}

/** How far two bands are apart. */
export interface BandDifference {
  /** Mean |Δ| over every sample, levels; Infinity when the bands differ in shape. */
  meanAbsDiff: number;
  /** Largest |Δ| of any sample, levels; Infinity when the bands differ in shape. */
  maxAbsDiff: number;
}

/** Mean and largest |Δ| between two bands of the same shape. */
export function bandDifference(a: BandPixels, b: BandPixels): BandDifference {
  if (a.width !== b.width || a.rows !== b.rows || a.channels !== b.channels) return { meanAbsDiff: Infinity, maxAbsDiff: Infinity };
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { meanAbsDiff: a.data.length ? sum / a.data.length : 0, maxAbsDiff: max };
}
