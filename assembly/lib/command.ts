// The WASI command form of a filter (used by the `pipe` and `disk` strategies): a
// loop that reads tile frames from fd 0, filters them and writes results to fd 1.
// It imports only fd_read, fd_write and proc_exit and gets no preopened directory.
//
// Request frame:  u32 magic "TSR1", u32 width, u32 height, u32 halo, i32 p0..p3 (32 bytes),
//                 then (width+2·halo)·(height+2·halo)·4 bytes: the tile with its halo, rows packed.
// Response frame: u32 magic "TSO1", u32 width, u32 height, u32 status (16 bytes),
//                 then width·height·4 bytes of RGBA.
// End-of-image frame: a request header with width 0 and height 0 (the rest zero, no payload). The
// command exits 75 ("start me fresh"): the host (src/strategies/process/wasi-process.ts) then runs a
// fresh instance on the same stdin, so the next image starts from fresh globals and memory.
// End of input ends the process with status 0; a malformed frame exits 3.
import { HOST_BASE } from "./abi";

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: i32, iovs: usize, iovsLen: i32, nread: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: i32, iovs: usize, iovsLen: i32, nwritten: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: i32): void;

const IO: usize = memory.data(16, 16);
const MAGIC_IN: u32 = 0x31525354; // "TSR1"
const MAGIC_OUT: u32 = 0x314f5354; // "TSO1"

export type FilterFn = (src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32) => void;
export type ScratchFn = (width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32) => i32;

// Pipes deliver partial reads and accept partial writes: loop until done or EOF.
function readFully(ptr: usize, len: usize): usize {
  let done: usize = 0;
  while (done < len) {
    store<u32>(IO, <u32>(ptr + done));
    store<u32>(IO, <u32>(len - done), 4);
    if (fd_read(0, IO, 1, IO + 8) != 0) proc_exit(2);
    const n = <usize>load<u32>(IO, 8);
    if (n == 0) break;
    done += n;
  }
  return done;
}

function writeFully(ptr: usize, len: usize): void {
  let done: usize = 0;
  while (done < len) {
    store<u32>(IO, <u32>(ptr + done));
    store<u32>(IO, <u32>(len - done), 4);
    if (fd_write(1, IO, 1, IO + 8) != 0) proc_exit(2);
    done += <usize>load<u32>(IO, 8);
  }
}

function ensureMemory(end: usize): void {
  const have = (<usize>memory.size()) << 16;
  if (end > have && memory.grow(<i32>((end - have + 0xffff) >> 16)) < 0) proc_exit(4);
}

// @ts-ignore: decorator
@inline function align16(n: usize): usize {
  return (n + 15) & ~15;
}

/** Serves frames until end of input. */
export function serve(filter: FilterFn, scratchSize: ScratchFn): void {
  const header = HOST_BASE;
  ensureMemory(header + 64);
  while (true) {
    const got = readFully(header, 32);
    if (got == 0) return;
    if (got < 32 || load<u32>(header) != MAGIC_IN) proc_exit(3);
    const width = load<i32>(header, 4);
    const height = load<i32>(header, 8);
    const halo = load<i32>(header, 12);
    const p0 = load<i32>(header, 16);
    const p1 = load<i32>(header, 20);
    const p2 = load<i32>(header, 24);
    const p3 = load<i32>(header, 28);
    if (width == 0 && height == 0) proc_exit(75);
    if (width <= 0 || height <= 0 || halo < 0 || halo > 128 || width > 65536 || height > 65536) proc_exit(3);
    const inStride = <usize>(width + 2 * halo) << 2;
    const inBytes = inStride * <usize>(height + 2 * halo);
    const src = header + 64;
    const out = align16(src + inBytes);
    const dst = out + 16;
    const outBytes = <usize>width * <usize>height * 4;
    const scratch = align16(dst + outBytes);
    ensureMemory(scratch + <usize>scratchSize(width, height, p0, p1, p2, p3));
    if (readFully(src, inBytes) != inBytes) proc_exit(3);
    filter(src + <usize>halo * inStride + (<usize>halo << 2), <i32>inStride, dst, width << 2, width, height, scratch, p0, p1, p2, p3);
    store<u32>(out, MAGIC_OUT);
    store<i32>(out, width, 4);
    store<i32>(out, height, 8);
    store<u32>(out, 0, 12);
    writeFully(out, 16 + outBytes);
  }
}
