/**
 * `copy` — the reference's "super optimized" rung done properly: the tile's raw
 * bytes (with halo) are copied into a pooled instance's private linear memory, the
 * filter is called with raw pointers, and the result is copied out. No encoding, but
 * two copies per tile: what this strategy exists to measure against `shared`.
 */
import { PAGE } from '../filter/abi.js';
import { createFilterMemory, instantiateFilter, type FilterInstance } from '../filter/filter-module.js';
import type { PaddedLayout } from '../tiling/padded-image.js';
import type { Tile } from '../tiling/plan.js';
import type { PreparedImage, StrategyHost } from './host.js';
import { callFilter } from './filter-failure.js';
import { copyRows, haloOrigin } from '../tiling/rows.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from './types.js';
import { copyTileLayout, growFilterMemory } from './copy-layout.js';


/** Host side of `copy`: the padded source and the output live in SharedArrayBuffers the workers read and write. */
export class CopyHost implements StrategyHost {
  readonly name = 'copy' as const;
  constructor(private readonly init: RunnerInit) {}

  runnerInit(): RunnerInit {
    return this.init;
  }

  prepare(layout: PaddedLayout, reuse?: PreparedImage): PreparedImage {
    const dstBytes = layout.width * layout.height * 4;
    const fits = reuse?.src && reuse.dst && reuse.src.byteLength >= layout.byteLength && reuse.dst.byteLength >= dstBytes;
    const src = fits ? reuse.src! : new SharedArrayBuffer(layout.byteLength);
    const dst = fits ? reuse.dst! : new SharedArrayBuffer(dstBytes);
    return { layout, source: new Uint8Array(src, 0, layout.byteLength), srcBase: 0, dstBase: 0, src, dst };
  }

  task(image: PreparedImage, tile: Tile): TileTask {
    const { layout } = image;
    return {
      width: tile.width,
      height: tile.height,
      src: image.src,
      srcOffset: layout.origin + tile.y * layout.stride + tile.x * 4,
      srcStride: layout.stride,
      dst: image.dst,
      dstOffset: (tile.y * layout.width + tile.x) * 4,
      dstStride: layout.width * 4,
    };
  }

  output(image: PreparedImage): Uint8Array {
    return new Uint8Array(image.dst!, 0, image.layout.width * image.layout.height * 4);
  }

  release(): void {}

  async close(): Promise<void> {}
}

/**
 * Thread side of `copy`: one pooled instance whose memory grows to fit the largest
 * tile seen, renewed (scrubbed memory, fresh instance) whenever tiles of another image
 * arrive, or with `isolation: 'instance'` a fresh instance per tile.
 *
 * A fresh instance starts from fresh state — globals, data segments rewritten, every
 * byte of its memory zero — but over a scrubbed memory of the same size rather than a
 * new one: a new `WebAssembly.Memory` reserves (and later unmaps) ~10 GiB of address
 * space, which made a fresh instance ~6× a pooled call; zeroing the few hundred KiB a
 * tile uses is cheap. A memory the filter grew beyond what the host asked for is
 * replaced, so no instance sees another's growth either.
 */
export class CopyTileRunner implements TileRunner {
  private instance: FilterInstance;
  /** Bytes of memory the host itself asked for (the high-water mark of tile layouts). */
  private hostBytes = 0;
  /** The image (group) of the last tile: a pooled instance is renewed when the image changes. */
  private group: number | undefined;

  constructor(private readonly init: RunnerInit) {
    this.instance = this.instantiate();
  }

  private instantiate(memory?: WebAssembly.Memory): FilterInstance {
    const { variant, maxMemoryPages } = this.init;
    if (variant.memory === 'exported') return instantiateFilter(variant);
    return instantiateFilter(variant, memory ?? createFilterMemory(variant, maxMemoryPages));
  }

  /** A fresh instance for the next tile: over the scrubbed memory, or a new one if the filter grew it. */
  private renew(): void {
    const { memory } = this.instance;
    if (this.init.variant.memory === 'exported' || memory.buffer.byteLength > Math.max(this.hostBytes, PAGE)) {
      this.instance = this.instantiate();
      return;
    }
    new Uint8Array(memory.buffer).fill(0);
    this.instance = this.instantiate(memory);
  }

  /**
   * Before an image's batch, outside its deadline: a pooled instance is renewed for the new
   * image here, so its start function is not charged to the first tile.
   */
  bind(task: TileTask): void {
    if (this.init.isolation !== 'instance' && task.group !== undefined && task.group !== this.group) {
      this.renew();
      this.group = task.group;
    }
  }

  run(task: TileTask): TileTimings {
    const { halo, params } = this.init;
    const [p0 = 0, p1 = 0, p2 = 0, p3 = 0] = params;
    const { width, height } = task;
    const t0 = performance.now();
    // A fresh instance per tile (`instance`), or at least per image (`pooled`): a smaller
    // tile, the filter's scratch or its heap must not show it the bytes of another image.
    if (this.init.isolation === 'instance' || (task.group !== undefined && task.group !== this.group)) this.renew();
    this.group = task.group;
    const { exports, memory } = this.instance;
    const { inStride, inRows, outStride, srcPtr, dstPtr, scratchPtr } = copyTileLayout(width, height, halo);
    growFilterMemory(memory, scratchPtr + exports.scratch_size(width, height, p0, p1, p2, p3), this.init.maxMemoryPages);
    this.hostBytes = Math.max(this.hostBytes, memory.buffer.byteLength);
    const src = new Uint8Array(task.src!);
    copyRows(src, haloOrigin(task.srcOffset, task.srcStride, halo), task.srcStride, new Uint8Array(memory.buffer), srcPtr, inStride, (width + 2 * halo) * 4, inRows);
    const t1 = performance.now();
    callFilter(() => exports.filter(srcPtr + halo * inStride + halo * 4, inStride, dstPtr, outStride, width, height, scratchPtr, p0, p1, p2, p3));
    const t2 = performance.now();
    if (task.out) copyRows(new Uint8Array(memory.buffer), dstPtr, outStride, new Uint8Array(task.out), task.outOffset ?? 0, task.outStride ?? outStride, outStride, height);
    else copyRows(new Uint8Array(memory.buffer), dstPtr, outStride, new Uint8Array(task.dst!), task.dstOffset, task.dstStride, outStride, height);
    const t3 = performance.now();
    return { splitMs: t1 - t0, filterMs: t2 - t1, assembleMs: t3 - t2 };
  }
}
