import { DEFAULT_TILE_SIZE } from '../pipeline/defaults.js';

/** A rectangle of the output image that one filter call produces. */
export interface Tile {
  /** Position in the tile grid, row-major: what error messages name. */
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The tiles of one image, row-major. Edge tiles are partial; a tile larger than the image is allowed. */
export interface TilePlan {
  width: number;
  height: number;
  tileSize: number;
  columns: number;
  rows: number;
  tiles: Tile[];
}

/**
 * Splits a width×height image into tiles of at most tileSize×tileSize.
 * @param width image width in pixels (≥ 1)
 * @param height image height in pixels (≥ 1)
 * @param tileSize tile edge in pixels (≥ 1), default 256
 * @throws RangeError on non-positive or non-integer sizes
 * @example planTiles(768, 512).tiles.length // 6
 */
export function planTiles(width: number, height: number, tileSize = DEFAULT_TILE_SIZE): TilePlan {
  for (const [name, v] of [['width', width], ['height', height], ['tileSize', tileSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  }
  const columns = Math.ceil(width / tileSize);
  const rows = Math.ceil(height / tileSize);
  const tiles: Tile[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const x = c * tileSize;
      const y = r * tileSize;
      tiles.push({ index: tiles.length, x, y, width: Math.min(tileSize, width - x), height: Math.min(tileSize, height - y) });
    }
  }
  return { width, height, tileSize, columns, rows, tiles };
}
