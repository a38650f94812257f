/**
 * Worker side of a tile job: the fetched tile bytes are placed where the existing
 * strategy runners read them — a SharedArrayBuffer for `copy`, a region of a shared
 * `WebAssembly.Memory` for `shared` — and run on a worker-thread pool (ThreadExecutor),
 * never on the event loop that renews the jobs' locks.
 */
import { align16, copyRows } from '../tiling/rows.js';
import { ThreadExecutor } from '../executors/threads.js';
import { SharedArena, withSharedMemory } from '../strategies/shared.js';
import type { RunnerInit, ThreadStrategy, TileTask } from '../strategies/types.js';
import type { FilterModule } from '../filter/filter-module.js';
import { resultBytes, sourceBytes, type TileJobData } from './protocol.js';

/** What makes two jobs runnable by the same pool: same module, params, caps and strategy. */
export function engineKey(filter: FilterModule, data: TileJobData, strategy: ThreadStrategy): string {
  const s = strategy === 'shared' && filter.shared ? 'shared' : 'copy';
  const variant = s === 'shared' ? filter.shared! : filter.plain;
  return [s, variant.hash, data.params.join(','), data.halo, data.maxMemoryPages, data.isolation, data.tileTimeoutMs].join('|');
}

/** A thread pool running one filter with one set of params. */
export class TileEngine {
  readonly strategy: ThreadStrategy;
  private readonly executor: ThreadExecutor;
  private readonly init: RunnerInit;
  private readonly arena?: SharedArena;
  /** Reusable SharedArrayBuffers by size: allocating two per tile cost more CPU (and GC) than the tile. */
  private readonly buffers = new Map<number, SharedArrayBuffer[]>();
  /** Tiles running or waiting on this engine. */
  busy = 0;
  lastUsed = Date.now();

  constructor(filter: FilterModule, data: TileJobData, strategy: ThreadStrategy, threads: number) {
    // A filter without a shared-memory form runs with `copy` even on a `shared` worker.
    this.strategy = strategy === 'shared' && filter.shared ? 'shared' : 'copy';
    const variant = this.strategy === 'shared' ? filter.shared! : filter.plain;
    this.init = {
      strategy: this.strategy,
      filterName: data.filter.label,
      variant,
      maxMemoryPages: data.maxMemoryPages,
      isolation: this.strategy === 'copy' ? data.isolation : 'pooled',
      params: data.params,
      halo: data.halo,
    };
    if (this.strategy === 'shared') {
      const { sharedMemory, sharedGrowth } = withSharedMemory(this.init);
      this.arena = new SharedArena(sharedMemory, sharedGrowth);
    }
    this.executor = new ThreadExecutor(this.init, threads, data.tileTimeoutMs);
  }

  private take(bytes: number): SharedArrayBuffer {
    return this.buffers.get(bytes)?.pop() ?? new SharedArrayBuffer(bytes);
  }

  private give(buf: SharedArrayBuffer): void {
    let list = this.buffers.get(buf.byteLength);
    if (!list) this.buffers.set(buf.byteLength, (list = []));
    if (list.length < 16) list.push(buf);
  }

  /**
   * Filters one tile: `src` is the tile with its halo, rows packed; resolves with the
   * result rows packed, valid until `release()` is called (then the buffer is reused).
   * Rejects with the filter's error.
   */
  async run(src: Uint8Array, data: TileJobData): Promise<{ result: Buffer; filterMs: number; release: () => void }> {
    const { width, height, halo } = data;
    if (src.length !== sourceBytes(width, height, halo)) {
      throw new Error(`tile source has ${src.length} bytes, expected ${sourceBytes(width, height, halo)}`);
    }
    this.busy++;
    this.lastUsed = Date.now();
    try {
      const rowBytes = (width + 2 * halo) * 4;
      const outBytes = resultBytes(width, height);
      if (this.strategy === 'copy') {
        const srcBuf = this.take(src.length);
        new Uint8Array(srcBuf).set(src);
        const dst = this.take(outBytes);
        const task: TileTask = {
          width, height,
          src: srcBuf, srcOffset: halo * rowBytes + halo * 4, srcStride: rowBytes,
          dst, dstOffset: 0, dstStride: width * 4,
        };
        // On failure the buffers are dropped, not reused: a stopped thread may have been writing into them.
        const t = await this.executor.run(task);
        this.give(srcBuf);
        let released = false;
        const release = () => {
          if (!released) this.give(dst);
          released = true;
        };
        return { result: Buffer.from(dst), filterMs: t.filterMs, release };
      }
      // shared: rows laid out 16-aligned in a region of the shared memory, like a padded image.
      const stride = align16(rowBytes);
      const rows = height + 2 * halo;
      const srcSize = align16(stride * rows);
      const base = this.arena!.allocate(srcSize + outBytes);
      try {
        const mem = new Uint8Array(this.init.sharedMemory!.buffer);
        copyRows(src, 0, rowBytes, mem, base, stride, rowBytes, rows);
        const task: TileTask = {
          width, height,
          srcOffset: base + halo * stride + halo * 4, srcStride: stride,
          dstOffset: base + srcSize, dstStride: width * 4,
        };
        const t = await this.executor.run(task);
        // Buffer.from(view) copies: the region is reused as soon as it is released.
        return { result: Buffer.from(new Uint8Array(this.init.sharedMemory!.buffer, base + srcSize, outBytes)), filterMs: t.filterMs, release: () => {} };
      } finally {
        this.arena!.release(base);
      }
    } finally {
      this.busy--;
      this.lastUsed = Date.now();
    }
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}
