/**
 * Where `copy` places one tile in a filter's private memory: the tile with its halo at
 * HOST_BASE, its output after it, its scratch after that — the addresses `filter` is called
 * with. Pure (no Node API), so the browser page's copy fallback places tiles the same way.
 */
import { HOST_BASE, PAGE } from '../filter/abi.js';
import { align16 } from '../tiling/rows.js';

/** A tile's addresses in a private filter memory. */
export interface CopyTileLayout {
  /** Bytes per row of the tile with its halo, and its rows. */
  inStride: number;
  inRows: number;
  /** Bytes per row of the output. */
  outStride: number;
  /** Where the tile with its halo starts; its first interior pixel is `srcPtr + halo·inStride + halo·4`. */
  srcPtr: number;
  dstPtr: number;
  scratchPtr: number;
}

/** The layout of a width×height tile read with `halo` pixels around it. */
export function copyTileLayout(width: number, height: number, halo: number): CopyTileLayout {
  const inStride = align16((width + 2 * halo) * 4);
  const inRows = height + 2 * halo;
  const outStride = width * 4;
  const srcPtr = HOST_BASE;
  const dstPtr = align16(srcPtr + inStride * inRows);
  return { inStride, inRows, outStride, srcPtr, dstPtr, scratchPtr: align16(dstPtr + outStride * height) };
}

/** Grows a private filter memory to hold `end` bytes, naming the cap when it cannot. */
export function growFilterMemory(memory: WebAssembly.Memory, end: number, maxPages: number): void {
  if (end <= memory.buffer.byteLength) return;
  const pages = Math.ceil((end - memory.buffer.byteLength) / PAGE);
  try {
    memory.grow(pages);
  } catch {
    throw new Error(`the tile needs ${Math.ceil(end / 2 ** 20)} MiB of filter memory, over the cap of ${(maxPages * PAGE) / 2 ** 20} MiB (--filter-memory)`);
  }
}
