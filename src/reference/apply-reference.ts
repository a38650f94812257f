import { ErrorCode, TesseraError } from '../errors.js';
import { paddedLayout, writePadded } from '../tiling/padded-image.js';
import { premultiplyRows, unpremultiplyRows } from './alpha.js';
import { referenceFilters } from './index.js';

/**
 * Applies a built-in filter's plain-TypeScript reference to a whole image in one piece:
 * the correctness oracle every strategy, executor and tile size is compared with, and
 * the "plain TypeScript" peer of the benchmark. A filter whose manifest says
 * `"alpha": "premultiplied"` runs on the premultiplied image and its output is
 * unpremultiplied (reference/alpha.ts), as the host runs it.
 * @param params the i32 values p0..p3 (as `resolveParams` returns them)
 * @returns width·height·4 bytes of RGBA
 */
export function applyReference(name: string, params: readonly number[], rgba: Uint8Array, width: number, height: number): Uint8Array {
  const ref = referenceFilters[name];
  if (!ref) throw new TesseraError(ErrorCode.FilterNotFound, `no TypeScript reference for filter "${name}"`);
  const layout = paddedLayout(width, height, ref.halo(params));
  const outBytes = width * height * 4;
  // One array stands in for linear memory: the padded source, then the output.
  const mem = new Uint8Array(layout.byteLength + outBytes);
  writePadded(rgba, layout, mem, 0);
  const premultiplied = ref.alpha === 'premultiplied';
  // Pointwise, so premultiplying the padded copy equals padding the premultiplied image.
  if (premultiplied) premultiplyRows(mem, 0, width + 2 * layout.halo, height + 2 * layout.halo, layout.stride);
  ref.filter(mem, layout.origin, layout.stride, layout.byteLength, width * 4, width, height, params);
  if (premultiplied) unpremultiplyRows(mem, layout.byteLength, width * height, 1, outBytes);
  return mem.slice(layout.byteLength);
}
