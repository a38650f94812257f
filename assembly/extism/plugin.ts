// tessera's grayscale and gaussian-blur as one Extism plugin (AssemblyScript PDK), for the
// bench's `extism` peer. The filters are tessera's own sources, imported: the same
// arithmetic, compiled by the same compiler with the same flags, so the output is
// bit-identical to tessera's built-ins. Only how the pixels arrive differs.
//
// Input (one Extism call = one tile): the 32-byte header of tessera's command frame
// (assembly/lib/command.ts): u32 magic "TSR1", u32 width, u32 height, u32 halo, i32 p0..p3,
// then the tile with `halo` pixels on every side, RGBA8, rows packed. Output: width·height·4
// bytes, RGBA8, rows packed. A bad input sets an Extism error (the JS SDK ignores an
// export's return code; `error_set` is what makes `plugin.call` throw).
//
// The PDK's `Host.input()` and `Host.output()` would make the same host calls (one
// `input_load_u64` per 8 input bytes, one `store_u64` per 8 output bytes) and allocate a
// garbage-collected array for each; this plugin calls the same PDK imports into a fixed
// arena instead, so it needs no runtime beyond `--runtime stub` and never allocates.
//
// Besides the two filters it exports probes for the bench (bench/src/startup/extism.ts),
// each the same steps as a filter call taken apart:
//   noop                     nothing: the fixed cost of `plugin.call`
//   probe_read               read the header and the tile into the arena, no output
//   probe_grayscale          filter what the last probe_read left in the arena, no I/O
//   probe_gaussian_blur        "
//   probe_write              read the header only, write width·height·4 output bytes
import { filter as grayscaleFilter, halo as grayscaleHalo, scratch_size as grayscaleScratch } from "../filters/grayscale";
import { filter as blurFilter, halo as blurHalo, scratch_size as blurScratch } from "../filters/gaussian-blur";
import { HOST_BASE } from "../lib/abi";
import {
  alloc, error_set, input_length, input_load_u64, input_load_u8, output_set, store_u64, store_u8,
} from "@extism/as-pdk/lib/env";

// The filter ABI's signatures (as in assembly/lib/command.ts, not imported: that module is the WASI form's).
type FilterFn = (src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32) => void;
type ScratchFn = (width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32) => i32;
type HaloFn = (p0: i32, p1: i32, p2: i32, p3: i32) => i32;

const MAGIC_IN: u32 = 0x31525354; // "TSR1"
const HEADER_BYTES: i32 = 32;
const MAX_SIDE: i32 = 65536;
const MAX_HALO: i32 = 128;

// The tile last read, as the header described it (the probes filter it again).
let width: i32 = 0;
let height: i32 = 0;
let halo: i32 = 0;
let p0: i32 = 0;
let p1: i32 = 0;
let p2: i32 = 0;
let p3: i32 = 0;

// @ts-ignore: decorator
@inline function align16(n: usize): usize {
  return (n + 15) & ~15;
}

// Arena layout from HOST_BASE (statics stay below it, as in every tessera filter):
// header, padded source, output, scratch.
// @ts-ignore: decorator
@inline function srcPtr(): usize {
  return HOST_BASE + 64;
}
// @ts-ignore: decorator
@inline function inStride(): usize {
  return <usize>(width + 2 * halo) << 2;
}
// @ts-ignore: decorator
@inline function inBytes(): usize {
  return inStride() * <usize>(height + 2 * halo);
}
// @ts-ignore: decorator
@inline function outBytes(): usize {
  return <usize>width * <usize>height * 4;
}
// @ts-ignore: decorator
@inline function dstPtr(): usize {
  return align16(srcPtr() + inBytes());
}
// @ts-ignore: decorator
@inline function scratchPtr(): usize {
  return align16(dstPtr() + outBytes());
}

/** Grows the plugin's own memory to `end` bytes; false when its maximum stops it. */
function ensureMemory(end: usize): bool {
  const have = (<usize>memory.size()) << 16;
  return end <= have || memory.grow(<i32>((end - have + 0xffff) >> 16)) >= 0;
}

/** Sets an Extism error (an ASCII message in a host block): `plugin.call` rejects with it. */
function fail(message: string): i32 {
  const n = message.length;
  const block = alloc(<u64>n);
  for (let i = 0; i < n; i++) store_u8(block + <u64>i, <u8>message.charCodeAt(i));
  error_set(block);
  return 1;
}

/** Reads and checks the header; returns an error message, or null when the input is well formed. */
function readHeader(): string | null {
  const length = input_length();
  if (length < <u64>HEADER_BYTES) return "input shorter than its 32-byte header";
  const a = input_load_u64(0);
  const b = input_load_u64(8);
  const c = input_load_u64(16);
  const d = input_load_u64(24);
  if (<u32>a != MAGIC_IN) return "input does not start with TSR1";
  width = <i32>(a >> 32);
  height = <i32>b;
  halo = <i32>(b >> 32);
  p0 = <i32>c;
  p1 = <i32>(c >> 32);
  p2 = <i32>d;
  p3 = <i32>(d >> 32);
  if (width <= 0 || height <= 0 || width > MAX_SIDE || height > MAX_SIDE || halo < 0 || halo > MAX_HALO) {
    return "bad width, height or halo in the header";
  }
  // In u64: a forged header must not wrap the 32-bit arithmetic of the arena.
  const need = <u64>(width + 2 * halo) * 4 * <u64>(height + 2 * halo);
  if (need > (<u64>1 << 30)) return "tile too large for the plugin's memory";
  if (length != <u64>HEADER_BYTES + need) return "input length does not match its header";
  return null;
}

/** Copies the tile (after the header) into the arena: one host call per 8 bytes. */
function readTile(): void {
  const dst = srcPtr();
  const n = inBytes();
  const whole = n & ~7;
  let i: usize = 0;
  for (; i < whole; i += 8) store<u64>(dst + i, input_load_u64(<u64>(HEADER_BYTES + <i32>i)));
  for (; i < n; i++) store<u8>(dst + i, input_load_u8(<u64>(HEADER_BYTES + <i32>i)));
}

/** Hands the output region to the host: one host block, one host call per 8 bytes. */
function writeOutput(): void {
  const src = dstPtr();
  const n = outBytes(); // a multiple of 4; of 8 unless width·height is odd
  const block = alloc(<u64>n);
  const whole = n & ~7;
  let i: usize = 0;
  for (; i < whole; i += 8) store_u64(block + <u64>i, load<u64>(src + i));
  for (; i < n; i++) store_u8(block + <u64>i, load<u8>(src + i));
  output_set(block, <u64>n);
}

/** The header read, checked against the filter's halo, and the arena grown; null when ready. */
function prepare(haloOf: HaloFn, scratchOf: ScratchFn): string | null {
  const bad = readHeader();
  if (bad != null) return bad;
  if (halo < haloOf(p0, p1, p2, p3)) return "the tile's halo is smaller than the filter reads";
  if (!ensureMemory(scratchPtr() + <usize>scratchOf(width, height, p0, p1, p2, p3))) return "tile too large for the plugin's memory";
  return null;
}

// @ts-ignore: decorator
@inline function runFilter(filter: FilterFn): void {
  const src = srcPtr() + <usize>halo * inStride() + (<usize>halo << 2);
  filter(src, <i32>inStride(), dstPtr(), width << 2, width, height, scratchPtr(), p0, p1, p2, p3);
}

/** One tile: read, filter, write. */
function filterCall(filter: FilterFn, haloOf: HaloFn, scratchOf: ScratchFn): i32 {
  const bad = prepare(haloOf, scratchOf);
  if (bad != null) return fail(bad);
  readTile();
  runFilter(filter);
  writeOutput();
  return 0;
}

/** tessera's grayscale on one tile (see the header of this file for input and output). */
export function grayscale(): i32 {
  return filterCall(grayscaleFilter, grayscaleHalo, grayscaleScratch);
}

/** tessera's gaussian-blur on one tile; sigma = p0 / 100, the halo at least ceil(3σ). */
export function gaussian_blur(): i32 {
  return filterCall(blurFilter, blurHalo, blurScratch);
}

/** Probe: does nothing — what `plugin.call` costs before any byte moves. */
export function noop(): i32 {
  return 0;
}

function anyHalo(p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 0;
}

/** Scratch for either filter, so that either probe can run on what probe_read left. */
function eitherScratch(width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  const a = grayscaleScratch(width, height, p0, p1, p2, p3);
  const b = blurScratch(width, height, p0, p1, p2, p3);
  return a > b ? a : b;
}

/** Probe: the input transfer alone (header and tile into the arena, for the filter probes). */
export function probe_read(): i32 {
  const bad = prepare(anyHalo, eitherScratch);
  if (bad != null) return fail(bad);
  readTile();
  return 0;
}

/** Probe: grayscale on the tile the last probe_read left, no transfer either way. */
export function probe_grayscale(): i32 {
  if (width <= 0) return fail("probe_read first");
  runFilter(grayscaleFilter);
  return 0;
}

/** Probe: gaussian-blur on the tile the last probe_read left, no transfer either way. */
export function probe_gaussian_blur(): i32 {
  if (width <= 0 || halo < blurHalo(p0, p1, p2, p3)) return fail("probe_read first, with the blur's halo");
  runFilter(blurFilter);
  return 0;
}

/** Probe: the output transfer alone (header read, width·height·4 bytes written from the arena). */
export function probe_write(): i32 {
  const bad = readHeader();
  if (bad != null) return fail(bad);
  if (!ensureMemory(scratchPtr())) return fail("tile too large for the plugin's memory");
  writeOutput();
  return 0;
}
