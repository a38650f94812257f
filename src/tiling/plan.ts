/** Tile edge, in pixels: the reference pipeline's 256×256. (Here, not in pipeline/defaults.ts, so that the browser page can use this module: that one reads the machine's memory.) */
export const DEFAULT_TILE_SIZE = 256;

/** A rectangle of the output image that one filter call produces. */
export interface Tile {
  /** Position in the tile grid, row-major: what error messages name. */
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The tile grid of an image, without its tiles: they are made one at a time with
 * {@link tileAt}, so a pathological tile size (`--tile 1` on a large photo: millions of
 * tiles) costs no memory until the tiles are handed out.
 */
export interface TileGrid {
  width: number;
  height: number;
  tileSize: number;
  columns: number;
  rows: number;
  /** columns × rows. */
  count: number;
}

/** The tiles of one image, row-major. Edge tiles are partial; a tile larger than the image is allowed. */
export interface TilePlan extends TileGrid {
  tiles: Tile[];
}

/**
 * The grid of tiles of at most tileSize×tileSize covering a width×height image.
 * @throws RangeError on non-positive or non-integer sizes
 */
export function tileGrid(width: number, height: number, tileSize = DEFAULT_TILE_SIZE): TileGrid {
  for (const [name, v] of [['width', width], ['height', height], ['tileSize', tileSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  }
  const columns = Math.ceil(width / tileSize);
  const rows = Math.ceil(height / tileSize);
  return { width, height, tileSize, columns, rows, count: columns * rows };
}

/** Tile `index` (row-major) of `grid`. */
export function tileAt(grid: TileGrid, index: number): Tile {
  const x = (index % grid.columns) * grid.tileSize;
  const y = Math.floor(index / grid.columns) * grid.tileSize;
  return { index, x, y, width: Math.min(grid.tileSize, grid.width - x), height: Math.min(grid.tileSize, grid.height - y) };
}

/**
 * Splits a width×height image into tiles of at most tileSize×tileSize, all at once
 * (the pipeline hands tiles out lazily from a {@link tileGrid} instead).
 * @param width image width in pixels (≥ 1)
 * @param height image height in pixels (≥ 1)
 * @param tileSize tile edge in pixels (≥ 1), default 256
 * @throws RangeError on non-positive or non-integer sizes
 * @example planTiles(768, 512).tiles.length // 6
 */
export function planTiles(width: number, height: number, tileSize = DEFAULT_TILE_SIZE): TilePlan {
  const grid = tileGrid(width, height, tileSize);
  return { ...grid, tiles: Array.from({ length: grid.count }, (_, i) => tileAt(grid, i)) };
}
