/**
 * Where a band's rows come from: a decoded image in memory, or a `.v` file libvips is
 * still writing. Either way the band's padded source gets its own rows and the real
 * rows within the halo above and below (read again from the neighbours), and the
 * clamp-to-edge padding past the image's borders, exactly as a whole image would have.
 */
import type { VipsRowReader } from '../io/vips-rows.js';
import { bandSourceRows, type Band } from '../tiling/band.js';
import { completePadding, writeInteriorRows } from '../tiling/padded-image.js';
import type { BandReader } from './band-loop.js';

/** Rows from a tightly packed RGBA8 image of `width` pixels per row. */
export function rowsFromMemory(rgba: Uint8Array, width: number): BandReader {
  const rowBytes = width * 4;
  return (band: Band, region) => {
    const { layout } = region;
    const { first, count } = bandSourceRows(band);
    const at = layout.halo - band.above;
    writeInteriorRows(rgba.subarray(first * rowBytes, (first + count) * rowBytes), layout, region.source, 0, at, count);
    completePadding(layout, region.source, 0, at, count);
  };
}

/** Rows read from a `.v` file straight into the band's padded rows, waiting for the decoder where it has not got to yet. */
export function rowsFromVipsFile(reader: VipsRowReader): BandReader {
  const rowBytes = reader.width * 4;
  return async (band: Band, region) => {
    const { layout } = region;
    const { first, count } = bandSourceRows(band);
    const at = layout.halo - band.above;
    const targets: Uint8Array[] = [];
    if (layout.stride === rowBytes) {
      targets.push(region.source.subarray(at * rowBytes, (at + count) * rowBytes));
      await reader.readRows(first, targets, count);
    } else {
      for (let r = 0; r < count; r++) {
        const start = (at + r) * layout.stride + layout.halo * 4;
        targets.push(region.source.subarray(start, start + rowBytes));
      }
      await reader.readRows(first, targets, count);
    }
    completePadding(layout, region.source, 0, at, count);
  };
}
