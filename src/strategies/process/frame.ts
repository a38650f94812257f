/**
 * The binary frames of the WASI command form (assembly/lib/command.ts): what the
 * `pipe` strategy streams through a child's stdin/stdout and the `disk` strategy
 * stores in files. Little-endian throughout.
 *
 * Between images the `pipe` strategy sends an end-of-image frame (a request header with
 * width 0 and height 0, no payload): the command exits {@link END_OF_IMAGE_EXIT} and the
 * filter process runs a fresh instance for the next image (see wasi-process.ts).
 */

import { copyRows, haloOrigin } from '../../tiling/rows.js';

/** "TSR1": a request. */
export const FRAME_MAGIC_IN = 0x31525354;
/** "TSO1": a response. */
export const FRAME_MAGIC_OUT = 0x314f5354;
export const REQUEST_HEADER_BYTES = 32;
export const RESPONSE_HEADER_BYTES = 16;
/** What a command form exits with when it reads an end-of-image frame: "start me fresh". */
export const END_OF_IMAGE_EXIT = 75;

/** The end-of-image frame: magic "TSR1", everything else zero (width 0, height 0), no payload. */
export function encodeEndOfImage(): Buffer {
  const frame = Buffer.alloc(REQUEST_HEADER_BYTES);
  frame.writeUInt32LE(FRAME_MAGIC_IN, 0);
  return frame;
}

/**
 * Builds a request frame from a padded source: the tile plus `halo` pixels on every side, rows packed.
 * @param src the padded source buffer
 * @param srcOffset byte offset of the tile's first interior pixel
 */
export function encodeRequest(
  src: Uint8Array, srcOffset: number, srcStride: number,
  width: number, height: number, halo: number, params: readonly number[],
): Buffer {
  const rowBytes = (width + 2 * halo) * 4;
  const rows = height + 2 * halo;
  const frame = Buffer.allocUnsafe(REQUEST_HEADER_BYTES + rowBytes * rows);
  frame.writeUInt32LE(FRAME_MAGIC_IN, 0);
  frame.writeUInt32LE(width, 4);
  frame.writeUInt32LE(height, 8);
  frame.writeUInt32LE(halo, 12);
  for (let i = 0; i < 4; i++) frame.writeInt32LE(params[i] ?? 0, 16 + 4 * i);
  copyRows(src, haloOrigin(srcOffset, srcStride, halo), srcStride, frame, REQUEST_HEADER_BYTES, rowBytes, rowBytes, rows);
  return frame;
}

/** Bytes of the response to a width×height request. */
export function responseBytes(width: number, height: number): number {
  return RESPONSE_HEADER_BYTES + width * height * 4;
}

/**
 * Checks a response frame and copies its pixels into `dst` at `dstOffset` with `dstStride`.
 * @throws Error when the frame does not answer a width×height request
 */
export function decodeResponseInto(frame: Uint8Array, width: number, height: number, dst: Uint8Array, dstOffset: number, dstStride: number): void {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < responseBytes(width, height) || view.getUint32(0, true) !== FRAME_MAGIC_OUT) {
    throw new Error('malformed response frame from the filter process');
  }
  if (view.getUint32(4, true) !== width || view.getUint32(8, true) !== height) {
    throw new Error(`filter process answered ${view.getUint32(4, true)}×${view.getUint32(8, true)} for a ${width}×${height} tile`);
  }
  if (view.getUint32(12, true) !== 0) throw new Error(`filter process reported status ${view.getUint32(12, true)}`);
  copyRows(frame, RESPONSE_HEADER_BYTES, width * 4, dst, dstOffset, dstStride, width * 4, height);
}
