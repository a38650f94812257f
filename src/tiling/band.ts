/**
 * Bands: an image cut into full-width strips of rows that are filtered one after the
 * other, so that a large image is never whole in memory. A band is filtered from its
 * own rows plus up to `halo` real rows above and below (its neighbours' rows, read
 * again); past the image's top and bottom the edge row is replicated, as for a whole
 * image. Band heights are a multiple of the tile size, so every tile of a band is the
 * tile a whole-image run makes, and filtering in bands is bit-identical to filtering
 * the image whole.
 */

/** One band of an image. */
export interface Band {
  index: number;
  /** First image row of the band. */
  y0: number;
  /** Rows of the band (of output). */
  rows: number;
  /** Real image rows read above the band (≤ halo; fewer at the top edge). */
  above: number;
  /** Real image rows read below the band (≤ halo; fewer at the bottom edge). */
  below: number;
}

/** Image rows a band reads: [first, first + count). */
export function bandSourceRows(band: Band): { first: number; count: number } {
  return { first: band.y0 - band.above, count: band.above + band.rows + band.below };
}

/** Number of bands of `bandRows` rows covering `height` rows. */
export function bandCount(height: number, bandRows: number): number {
  return Math.ceil(height / bandRows);
}

/**
 * Band `index` of an image `height` rows tall cut every `bandRows` rows, for a filter
 * reading `halo` rows around each output row.
 */
export function bandAt(index: number, height: number, bandRows: number, halo: number): Band {
  if (!Number.isInteger(bandRows) || bandRows < 1) throw new RangeError(`bandRows must be a positive integer, got ${bandRows}`);
  const y0 = index * bandRows;
  const rows = Math.min(bandRows, height - y0);
  if (rows <= 0) throw new RangeError(`band ${index} is past the image's ${height} rows`);
  return { index, y0, rows, above: Math.min(halo, y0), below: Math.min(halo, height - y0 - rows) };
}
