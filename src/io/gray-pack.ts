/**
 * The output check behind 1-channel gray PNGs, run by a small SIMD kernel
 * (kernels/pack-gray.ts): every output image is scanned, and in plain JS the scan cost
 * ~1 ms per Kodak image on the main thread — as much as everything else the main
 * thread does for an image.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_KERNEL_DIR } from '../filter/artifacts.js';
import { PAGE } from '../filter/abi.js';

interface PackKernel {
  memory: WebAssembly.Memory;
  pack_gray(src: number, n: number, dst: number): number;
}

let kernel: PackKernel | undefined;

function load(): PackKernel {
  if (!kernel) {
    const bytes = readFileSync(join(HOST_KERNEL_DIR, 'pack-gray.wasm'));
    kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as PackKernel;
  }
  return kernel;
}

/** Whether every pixel was gray, and whether all were opaque. */
export type GrayStatus = 'color' | 'gray-opaque' | 'gray-alpha';

/**
 * Checks whether every RGBA8 pixel is gray and packs the gray channel.
 * @returns the status and, unless `color`, the n gray bytes
 */
export function packGray(rgba: Uint8Array): { status: GrayStatus; gray?: Uint8Array } {
  const { code, mem, dst, end } = scan(rgba);
  if (code === 0) return { status: 'color' };
  return { status: code === 1 ? 'gray-opaque' : 'gray-alpha', gray: mem.slice(dst, end) };
}

/** Whether every RGBA8 pixel of `rgba` is gray (and opaque), without keeping the packed channel. */
export function grayStatus(rgba: Uint8Array): GrayStatus {
  const { code } = scan(rgba);
  return code === 0 ? 'color' : code === 1 ? 'gray-opaque' : 'gray-alpha';
}

/** The status of an image made of two parts with statuses `a` and `b` (bands of one image). */
export function combineGray(a: GrayStatus, b: GrayStatus): GrayStatus {
  if (a === 'color' || b === 'color') return 'color';
  return a === 'gray-alpha' || b === 'gray-alpha' ? 'gray-alpha' : 'gray-opaque';
}

function scan(rgba: Uint8Array): { code: number; mem: Uint8Array; dst: number; end: number } {
  const k = load();
  const n = rgba.length >>> 2;
  const src = 16;
  const dst = src + rgba.length;
  const end = dst + n;
  if (end > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((end - k.memory.buffer.byteLength) / PAGE));
  const mem = new Uint8Array(k.memory.buffer);
  mem.set(rgba, src);
  return { code: k.pack_gray(src, n, dst), mem, dst, end };
}
