/**
 * Where an image lives in its shared memory: the same map as `SharedHost.prepare`
 * (src/strategies/shared.ts) — the filter's own initial pages, the padded source, the
 * output, a scratch slot per lane — so the page calls the filter with the offsets and
 * strides `tessera run` uses. The padding itself is src/tiling's, imported unchanged.
 */
import { HOST_BASE, PAGE } from '../../src/filter/abi.js';
import { paddedLayout, type PaddedLayout } from '../../src/tiling/padded-image.js';
import { align16 } from '../../src/tiling/rows.js';
import type { ApiForm } from '../../src/serve/api-types.js';

/** wasm32's 4 GiB, in pages. */
const MAX_PAGES = 65536;

/** An image's place in its shared memory. */
export interface SharedLayout {
  padded: PaddedLayout;
  /** Byte offset of the padded source. */
  srcBase: number;
  /** Byte offset of the output (width·height·4 bytes, rows packed). */
  dstBase: number;
  /** Byte offset of lane 0's slot. */
  scratchBase: number;
  /** Bytes of one lane's scratch, at the start of its slot (16-aligned). */
  scratchBytes: number;
  /** Bytes of one lane's slot: its scratch, then its shadow stack when the filter has one (laneSlotBytes). */
  slotBytes: number;
  /** Pages the host makes the memory with. */
  hostPages: number;
  /** The memory's maximum: the host's pages plus what the filter may grow (--filter-memory). */
  maximumPages: number;
}

/**
 * The layout of a width×height image for a filter form with `halo`, `lanes` workers and
 * `scratch` bytes per full tile.
 * @throws RangeError when the image cannot fit a wasm32 memory (the words `tessera run` uses)
 */
export function sharedLayout(
  width: number, height: number, halo: number, form: ApiForm, scratch: number, lanes: number, maxMemoryPages: number,
): SharedLayout {
  const { memory } = form;
  const padded = paddedLayout(width, height, halo);
  const srcBase = Math.max(memory.initial * PAGE, HOST_BASE);
  const dstBase = align16(srcBase + padded.byteLength);
  const scratchBase = align16(dstBase + width * height * 4);
  const scratchBytes = align16(scratch);
  const slotBytes = scratchBytes + (form.stackBytes ?? 0);
  const end = scratchBase + lanes * slotBytes;
  const hostPages = Math.max(1, Math.ceil(end / PAGE));
  const maximumPages = Math.min(hostPages + maxMemoryPages, memory.maximum ?? MAX_PAGES, MAX_PAGES);
  if (hostPages > maximumPages) {
    const cap = memory.maximum !== undefined && memory.maximum < MAX_PAGES ? `the ${(memory.maximum * PAGE) / 2 ** 20} MiB the filter's module allows` : 'what a wasm32 memory holds (4 GiB)';
    throw new RangeError(`${width}×${height} pixels need ${Math.ceil(end / 2 ** 20)} MiB of filter memory, more than ${cap}`);
  }
  return { padded, srcBase, dstBase, scratchBase, scratchBytes, slotBytes, hostPages, maximumPages };
}
