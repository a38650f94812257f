/**
 * The tile grid, as src/tiling/plan.ts cuts it (row-major, tileSize×tileSize, partial
 * edge tiles): the same tiles, numbered the same, so the page names a failing tile as
 * `tessera run` does. Kept here because plan.ts reads its default from a Node module.
 */

/** A rectangle of the output that one filter call produces. */
export interface Tile {
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The grid of an image, without its tiles. */
export interface TileGrid {
  width: number;
  height: number;
  tileSize: number;
  columns: number;
  rows: number;
  count: number;
}

/** The grid of tiles of at most tileSize×tileSize over a width×height image. */
export function tileGrid(width: number, height: number, tileSize: number): TileGrid {
  if (!Number.isInteger(tileSize) || tileSize < 1) throw new RangeError(`tile size must be a positive integer, got ${tileSize}`);
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

/** How `tessera run` names a tile in a failure: `tile 5 (x=256 y=256 256×256)`. */
export function describeTile(tile: Tile): string {
  return `tile ${tile.index} (x=${tile.x} y=${tile.y} ${tile.width}×${tile.height})`;
}
