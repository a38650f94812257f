/**
 * Image memories of `shared`, kept for the next image once one is done with, scrubbed
 * to zero before it is handed on. A fresh `WebAssembly.Memory` costs a page fault per
 * 4 KiB the first time it is touched — on this project's VMs ~0.85 ms per MiB, more
 * than filtering a Kodak image with grayscale — while zeroing a warm one with the
 * `memory.fill` instruction runs at memset speed. A memory is only ever one image's at
 * a time, and the next image sees none of the last one's bytes: no arena, no
 * cross-image reach. Memories of an image that failed are never reused (a thread
 * stopped at a deadline may still be writing into it for a moment).
 */

/**
 * `(module (import "env" "memory" (memory 1 65536 shared))
 *   (func (export "scrub") (param i32) (memory.fill (i32.const 0) (i32.const 0) (local.get 0))))`
 */
const SCRUB_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,
  0x02, 0x12, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x01, 0x80, 0x80, 0x04,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x09, 0x01, 0x05, 0x73, 0x63, 0x72, 0x75, 0x62, 0x00, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x41, 0x00, 0x41, 0x00, 0x20, 0x00, 0xfc, 0x0b, 0x00, 0x0b,
]);

let scrubModule: WebAssembly.Module | undefined;

/** Zeroes every byte of a shared memory, at memset speed. */
export function scrubMemory(memory: WebAssembly.Memory): void {
  scrubModule ??= new WebAssembly.Module(SCRUB_WASM);
  const { scrub } = new WebAssembly.Instance(scrubModule, { env: { memory } }).exports as { scrub(len: number): void };
  scrub(memory.buffer.byteLength);
}

interface Pooled {
  memory: WebAssembly.Memory;
  /** Its size in pages: what the host made it with (the filter never grew it). */
  hostPages: number;
}

/** At most this many bytes of idle memories are kept. */
const POOL_BYTES = 256 * 2 ** 20;
/** A pooled memory serves a request of at least this fraction of its size (a small image does not pin a big memory). */
const MIN_FILL = 0.5;

/** Idle image memories, most recently released first. */
export class MemoryPool {
  private readonly idle: Pooled[] = [];
  private idleBytes = 0;

  /** A scrubbed idle memory of at least `hostPages` pages (and not much more), if there is one. */
  take(hostPages: number): Pooled | undefined {
    const i = this.idle.findIndex((p) => p.hostPages >= hostPages && hostPages >= p.hostPages * MIN_FILL);
    if (i < 0) return undefined;
    const [p] = this.idle.splice(i, 1);
    this.idleBytes -= p.memory.buffer.byteLength;
    scrubMemory(p.memory);
    return p;
  }

  /** Keeps `memory` for a later image (dropping the oldest idle ones past the pool's size). */
  give(memory: WebAssembly.Memory, hostPages: number): void {
    this.idle.unshift({ memory, hostPages });
    this.idleBytes += memory.buffer.byteLength;
    while (this.idleBytes > POOL_BYTES && this.idle.length > 0) this.idleBytes -= this.idle.pop()!.memory.buffer.byteLength;
  }
}
