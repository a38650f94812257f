/**
 * The tile grid of `tessera run` (src/tiling/plan.ts, the same module), and how a failing
 * tile is named, so the page numbers and names tiles as the CLI does.
 */
import type { Tile } from '../../src/tiling/plan.js';

export { tileAt, tileGrid, type Tile, type TileGrid } from '../../src/tiling/plan.js';

/** How `tessera run` names a tile in a failure: `tile 5 (x=256 y=256 256×256)`. */
export function describeTile(tile: Tile): string {
  return `tile ${tile.index} (x=${tile.x} y=${tile.y} ${tile.width}×${tile.height})`;
}
