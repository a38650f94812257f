/**
 * Worker side of a tile job: the fetched tile bytes are placed where the existing
 * strategy runners read them — a SharedArrayBuffer for `copy`, a shared
 * `WebAssembly.Memory` of the tile's own for `shared` — and run on a worker-thread pool (ThreadExecutor),
 * never on the event loop that renews the jobs' locks.
 */
import { copyRows } from '../tiling/rows.js';
import { paddedLayout } from '../tiling/padded-image.js';
import { ThreadExecutor } from '../executors/threads.js';
import { SharedHost } from '../strategies/shared.js';
import type { RunnerInit, ThreadStrategy, TileTask } from '../strategies/types.js';
import type { FilterModule } from '../filter/filter-module.js';
import { resultBytes, sourceBytes, type TileJobData } from './protocol.js';

/**
 * What makes two jobs runnable by the same pool: the same run (no instance, and so no
 * filter state, is ever shared between runs — or tenants), module, params, caps and strategy.
 */
export function engineKey(filter: FilterModule, data: TileJobData, strategy: ThreadStrategy): string {
  const s = strategy === 'shared' && filter.shared ? 'shared' : 'copy';
  const variant = s === 'shared' ? filter.shared! : filter.plain;
  return [data.run, s, variant.hash, data.params.join(','), data.halo, data.maxMemoryPages, data.isolation, data.tileTimeoutMs].join('|');
}


/** A thread pool running one filter with one set of params. */
export class TileEngine {
  readonly strategy: ThreadStrategy;
  private readonly executor: ThreadExecutor;
  private readonly init: RunnerInit;
  private readonly sharedHost?: SharedHost;
  /** Reusable SharedArrayBuffers by size: allocating two per tile cost more CPU (and GC) than the tile. */
  private readonly buffers = new Map<number, SharedArrayBuffer[]>();
  /** Groups handed to jobs that name no image: each its own, so such a tile starts from fresh state. */
  private anonymous = -1;
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
    // No scratch lanes: each tile's memory is its own, and its runner grows it for the scratch.
    if (this.strategy === 'shared') this.sharedHost = new SharedHost(this.init);
    this.executor = new ThreadExecutor(this.init, threads, data.tileTimeoutMs);
  }

  /**
   * The group of a job's tiles: its image within the run (an engine serves one run), so a
   * pooled instance is renewed when another image's tiles arrive; a job naming no image
   * (an older coordinator) is a group of its own, and its tile starts from fresh state.
   */
  private groupOf(image: number | undefined): number {
    return image !== undefined && Number.isSafeInteger(image) && image >= 0 ? image : this.anonymous--;
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
          group: this.groupOf(data.image),
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
      // shared: the tile is a one-tile image in a memory of its own, laid out like a padded image.
      const host = this.sharedHost!;
      const layout = paddedLayout(width, height, halo);
      const image = host.prepare(layout);
      let failed = true;
      try {
        copyRows(src, 0, rowBytes, image.source, 0, layout.stride, rowBytes, height + 2 * halo);
        const t = await this.executor.run(host.task(image, { index: 0, x: 0, y: 0, width, height }));
        failed = false;
        // Buffer.from(view) copies: the memory goes back to the host as soon as it is released.
        return { result: Buffer.from(host.output(image)), filterMs: t.filterMs, release: () => {} };
      } finally {
        host.release(image, failed);
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
