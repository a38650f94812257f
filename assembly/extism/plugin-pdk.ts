// The same two filters as plugin.ts written the way the Extism AssemblyScript PDK's README
// writes a plugin: `Host.input()` for the input, `Host.output()` for the result, arrays
// from the garbage-collected heap (`--runtime incremental`). The start-up bench times it
// beside plugin.ts, whose fixed arena makes the same host calls without allocating: what
// the idiomatic form adds, if anything. Input and output as in plugin.ts.
import { filter as grayscaleFilter, halo as grayscaleHalo, scratch_size as grayscaleScratch } from "../filters/grayscale";
import { filter as blurFilter, halo as blurHalo, scratch_size as blurScratch } from "../filters/gaussian-blur";
import { Host, Memory } from "@extism/as-pdk/lib/pdk";
import { error_set } from "@extism/as-pdk/lib/env";

type FilterFn = (src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32) => void;
type ScratchFn = (width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32) => i32;
type HaloFn = (p0: i32, p1: i32, p2: i32, p3: i32) => i32;

const MAGIC_IN: u32 = 0x31525354; // "TSR1"

function fail(message: string): i32 {
  error_set(Memory.allocateString(message).offset);
  return 1;
}

function filterCall(filter: FilterFn, haloOf: HaloFn, scratchOf: ScratchFn): i32 {
  const input = Host.input();
  if (input.length < 32) return fail("input shorter than its 32-byte header");
  const at = input.dataStart;
  if (load<u32>(at) != MAGIC_IN) return fail("input does not start with TSR1");
  const width = load<i32>(at, 4);
  const height = load<i32>(at, 8);
  const halo = load<i32>(at, 12);
  const p0 = load<i32>(at, 16);
  const p1 = load<i32>(at, 20);
  const p2 = load<i32>(at, 24);
  const p3 = load<i32>(at, 28);
  if (width <= 0 || height <= 0 || width > 65536 || height > 65536 || halo < 0 || halo > 128) return fail("bad width, height or halo in the header");
  const inStride = (width + 2 * halo) << 2;
  if (<u64>input.length != 32 + <u64>inStride * <u64>(height + 2 * halo)) return fail("input length does not match its header");
  if (halo < haloOf(p0, p1, p2, p3)) return fail("the tile's halo is smaller than the filter reads");
  const out = new Uint8Array(width * height * 4);
  const scratch = new Uint8Array(scratchOf(width, height, p0, p1, p2, p3) + 16);
  const src = at + 32 + <usize>(halo * inStride) + (<usize>halo << 2);
  filter(src, inStride, out.dataStart, width << 2, width, height, (scratch.dataStart + 15) & ~15, p0, p1, p2, p3);
  Host.output(out);
  return 0;
}

/** tessera's grayscale on one tile, through the PDK's Host.input() and Host.output(). */
export function grayscale(): i32 {
  return filterCall(grayscaleFilter, grayscaleHalo, grayscaleScratch);
}

/** tessera's gaussian-blur on one tile, through the PDK's Host.input() and Host.output(). */
export function gaussian_blur(): i32 {
  return filterCall(blurFilter, blurHalo, blurScratch);
}
