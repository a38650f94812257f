/**
 * How one image goes through: whole (decoded into memory, filtered, encoded from
 * memory) or streamed in bands, and what it takes from the memory budget. Decided from
 * the header, before anything is decoded.
 */
import { ErrorCode, TesseraError } from '../errors.js';
import { align16 } from '../tiling/rows.js';

/** Bytes per pixel a whole image holds at its peak: decoded RGBA, padded source, output RGBA, the packed gray copy. */
const WHOLE_BYTES_PER_PIXEL = 4 + 4 + 4 + 1;

/** Bytes per pixel of a band: padded source, output, the gray check's copy and packed channel. */
const BAND_BYTES_PER_PIXEL = 4 + 4 + 4 + 1;

/** Everything {@link planImage} weighs. */
export interface PlanInputs {
  width: number;
  height: number;
  halo: number;
  tileSize: number;
  /** The session's `--memory`, in bytes. */
  budgetBytes: number;
  /** Images with more pixels than this stream in bands. */
  streamAbovePixels: number;
  /** Bytes a band should take, roughly. */
  bandTargetBytes: number;
  /** Bands in flight per streamed image. */
  bandsInFlight: number;
  /** Rows per band, forced (tests); otherwise from `bandTargetBytes`, a multiple of the tile size. */
  bandRows?: number;
}

/** The plan of one image. */
export type ImagePlan =
  | { mode: 'whole'; bytes: number }
  | { mode: 'bands'; bandRows: number; bandBytes: number; depth: number };

/** Bytes a whole image of width×height takes at its peak. */
export function wholeImageBytes(width: number, height: number, halo: number): number {
  const padded = align16((width + 2 * halo) * 4) * (height + 2 * halo);
  return width * height * (WHOLE_BYTES_PER_PIXEL - 4) + padded;
}

/** Bytes one band of `rows` rows takes. */
export function bandBytes(width: number, rows: number, halo: number): number {
  const padded = align16((width + 2 * halo) * 4) * (rows + 2 * halo);
  return width * rows * (BAND_BYTES_PER_PIXEL - 4) + padded;
}

/**
 * Whole when the image is at most `streamAbovePixels` and fits the budget; otherwise in
 * bands of a multiple of the tile size, as many in flight as the budget allows (1–3).
 * @throws TesseraError Image when even one band of one tile row exceeds the budget
 */
export function planImage(p: PlanInputs, label: string): ImagePlan {
  const whole = wholeImageBytes(p.width, p.height, p.halo);
  if (p.width * p.height <= p.streamAbovePixels && whole <= p.budgetBytes && p.bandRows === undefined) return { mode: 'whole', bytes: whole };
  const perTileRow = bandBytes(p.width, Math.min(p.tileSize, p.height), p.halo);
  let rows: number;
  if (p.bandRows !== undefined) {
    rows = Math.min(p.bandRows, p.height);
  } else {
    const tileRows = Math.max(1, Math.floor(Math.min(p.bandTargetBytes, p.budgetBytes) / perTileRow));
    rows = Math.min(tileRows * p.tileSize, p.height);
  }
  const bytes = bandBytes(p.width, rows, p.halo);
  if (bytes > p.budgetBytes) {
    const MiB = 2 ** 20;
    throw new TesseraError(
      ErrorCode.Image,
      `${label}: ${p.width}×${p.height} needs at least ${Math.ceil(bytes / MiB)} MiB for one band of ${rows} rows, more than --memory ${Math.floor(p.budgetBytes / MiB)} MiB; raise --memory or lower --tile`,
    );
  }
  const depth = Math.max(1, Math.min(p.bandsInFlight, Math.floor(p.budgetBytes / bytes)));
  return { mode: 'bands', bandRows: rows, bandBytes: bytes, depth };
}
