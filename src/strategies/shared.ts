/**
 * `shared` — the rung above the reference: each image (or band of a big image) is
 * decoded into a shared `WebAssembly.Memory` of its own; every worker instantiates the
 * filter against that memory (~25 µs) and a tile is an offset and a stride. No pixel
 * moves between the padding copy after decode and the encoder, which reads the output
 * straight from the memory.
 *
 * One memory per image, one image per memory at a time: a filter sees only the pixels
 * of the image it filters, and there is no arena to fragment. A memory an image is done
 * with is zeroed and kept for a later one (memory-pool.ts: fresh pages cost more than
 * the filter on small photos). Layout of
 * an image's memory: the filter's own initial pages (its data), the padded source, the
 * output, then one slot per lane (a thread that may run one of the image's tiles at the
 * same time as the others): the lane's scratch and, for a filter with a shadow stack, the
 * lane's stack above it. Every instance imports this one memory, so a stack pointer left
 * at the module's own address would give all lanes one stack (filter/shadow-stack.ts):
 * before each call the runner points the instance's `__stack_pointer` at the top of its
 * lane's slot. A stack that overflows runs down into its own lane's scratch first.
 */
import { HOST_BASE, PAGE } from '../filter/abi.js';
import { instantiateFilter, type FilterInstance } from '../filter/filter-module.js';
import type { PaddedLayout } from '../tiling/padded-image.js';
import type { Tile } from '../tiling/plan.js';
import type { PreparedImage, StrategyHost } from './host.js';
import { callFilter } from './filter-failure.js';
import { MemoryPool } from './memory-pool.js';
import { align16, copyRows } from '../tiling/rows.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from './types.js';

/** wasm32's 4 GiB, in pages. */
const MAX_PAGES = 65536;

/** Bytes of one lane's slot in an image's memory: its scratch, then its stack (when the filter has one). */
export function laneSlotBytes(init: RunnerInit): number {
  return align16(init.scratchBytes ?? 0) + (init.variant.stackBytes ?? 0);
}

/** Host side of `shared`. */
export class SharedHost implements StrategyHost {
  readonly name = 'shared' as const;
  private nextRegion = 0;
  private readonly pool = new MemoryPool();

  constructor(private readonly init: RunnerInit) {}

  runnerInit(): RunnerInit {
    return this.init;
  }

  prepare(layout: PaddedLayout, reuse?: PreparedImage): PreparedImage {
    const { variant, maxMemoryPages, lanes = 0 } = this.init;
    const srcBase = Math.max(variant.limits.initial * PAGE, HOST_BASE);
    const dstBase = align16(srcBase + layout.byteLength);
    const scratchBase = align16(dstBase + layout.width * layout.height * 4);
    const end = scratchBase + lanes * laneSlotBytes(this.init);
    const hostPages = Math.max(1, Math.ceil(end / PAGE));
    const place = (memory: WebAssembly.Memory, pages: number, region: number): PreparedImage => ({
      layout,
      source: new Uint8Array(memory.buffer, srcBase, layout.byteLength),
      srcBase,
      dstBase,
      memory,
      region,
      scratchBase: lanes > 0 ? scratchBase : undefined,
      hostPages: pages,
    });
    if (reuse?.memory && reuse.hostPages !== undefined && hostPages <= reuse.hostPages) {
      // The next band of the same image: same memory, same region id, so the threads keep their instances too.
      const { memory } = reuse;
      reuse.memory = undefined;
      return place(memory, reuse.hostPages, reuse.region!);
    }
    if (reuse) this.release(reuse);
    const pooled = this.pool.take(hostPages);
    if (pooled) return place(pooled.memory, pooled.hostPages, this.nextRegion++);
    const maximum = Math.min(hostPages + maxMemoryPages, variant.limits.maximum ?? MAX_PAGES, MAX_PAGES);
    if (hostPages > maximum) {
      const cap = variant.limits.maximum !== undefined && variant.limits.maximum < MAX_PAGES ? `the ${(variant.limits.maximum * PAGE) / 2 ** 20} MiB the filter's module allows` : 'what a wasm32 memory holds (4 GiB)';
      throw new RangeError(`${layout.width}×${layout.height} pixels need ${Math.ceil(end / 2 ** 20)} MiB of filter memory, more than ${cap}`);
    }
    return place(new WebAssembly.Memory({ initial: hostPages, maximum, shared: true }), hostPages, this.nextRegion++);
  }

  task(image: PreparedImage, tile: Tile): TileTask {
    const { layout } = image;
    return {
      width: tile.width,
      height: tile.height,
      srcOffset: image.srcBase + layout.origin + tile.y * layout.stride + tile.x * 4,
      srcStride: layout.stride,
      dstOffset: image.dstBase + (tile.y * layout.width + tile.x) * 4,
      dstStride: layout.width * 4,
      memory: image.memory,
      region: image.region,
      scratchBase: image.scratchBase,
      hostPages: image.hostPages,
    };
  }

  output(image: PreparedImage): Uint8Array {
    return new Uint8Array(image.memory!.buffer, image.dstBase, image.layout.width * image.layout.height * 4);
  }

  release(image: PreparedImage, failed = false): void {
    const { memory, hostPages } = image;
    image.memory = undefined;
    // Kept for a later image (scrubbed first) unless the image failed — a thread stopped at
    // its deadline may still be writing — or the filter grew it (its allowance would shrink).
    if (memory && !failed && hostPages !== undefined && memory.buffer.byteLength === hostPages * PAGE) this.pool.give(memory, hostPages);
  }

  async close(): Promise<void> {}
}

/**
 * Thread side of `shared`: an instance bound to the memory of the image whose tiles it
 * runs, rebuilt when tiles of another image arrive, so it never holds an instance
 * bound to two images. The memory's maximum allows the filter `--filter-memory` more
 * than the host made it with: a filter growing its memory hits the cap as under `copy`.
 */
export class SharedTileRunner implements TileRunner {
  private instance: FilterInstance | undefined;
  private region = -1;

  constructor(private readonly init: RunnerInit) {}

  /** Grows `memory` by `bytes` (whole pages) of `what` within the filter's allowance; returns where they start. */
  private grow(memory: WebAssembly.Memory, bytes: number, what: 'scratch' | 'stack'): number {
    const pages = Math.ceil(bytes / PAGE);
    if (pages === 0) return 0;
    try {
      return memory.grow(pages) * PAGE;
    } catch {
      throw new Error(`the tile needs ${Math.ceil(bytes / 2 ** 20)} MiB of ${what}, over the cap of ${(this.init.maxMemoryPages * PAGE) / 2 ** 20} MiB (--filter-memory)`);
    }
  }

  /** Instantiates the filter against `task`'s image memory, unless this runner's instance is bound to it already. */
  bind(task: TileTask): FilterInstance {
    if (!task.memory || task.region === undefined) throw new Error('a shared tile arrived without its image memory');
    if (task.region !== this.region || !this.instance) {
      this.instance = undefined; // the old image's memory is let go before the new instance is made
      this.instance = instantiateFilter(this.init.variant, task.memory);
      this.region = task.region;
    }
    return this.instance;
  }

  run(task: TileTask, lane = 0): TileTimings {
    const [p0 = 0, p1 = 0, p2 = 0, p3 = 0] = this.init.params;
    const { exports, memory, stackPointer } = this.bind(task);
    let scratch: number;
    if (task.scratchBase === undefined) {
      // A memory made for this one tile (no lanes): its stack and scratch are grown here, from the filter's allowance.
      const stackBytes = this.init.variant.stackBytes ?? 0;
      if (stackPointer) stackPointer.value = this.grow(memory, stackBytes, 'stack') + stackBytes;
      scratch = this.grow(memory, exports.scratch_size(task.width, task.height, p0, p1, p2, p3), 'scratch');
    } else {
      const slot = task.scratchBase + lane * laneSlotBytes(this.init);
      const scratchBytes = align16(this.init.scratchBytes ?? 0);
      // The lane's own stack sits above its scratch; set before any call (scratch_size may push a frame too).
      if (stackPointer) stackPointer.value = slot + laneSlotBytes(this.init);
      const need = exports.scratch_size(task.width, task.height, p0, p1, p2, p3);
      if (need > scratchBytes) {
        throw new Error(`scratch_size(${task.width}, ${task.height}) = ${need} bytes, more than the ${scratchBytes} it returned for a full tile`);
      }
      scratch = slot;
    }
    const t0 = performance.now();
    callFilter(() => exports.filter(task.srcOffset, task.srcStride, task.dstOffset, task.dstStride, task.width, task.height, scratch, p0, p1, p2, p3));
    const t1 = performance.now();
    if (task.out) {
      const rowBytes = task.width * 4;
      copyRows(new Uint8Array(memory.buffer), task.dstOffset, task.dstStride, new Uint8Array(task.out), task.outOffset ?? 0, task.outStride ?? rowBytes, rowBytes, task.height);
    }
    return { splitMs: 0, filterMs: t1 - t0, assembleMs: performance.now() - t1 };
  }
}
