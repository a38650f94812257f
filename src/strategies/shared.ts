/**
 * `shared` — the rung above the reference: decoded images live in one shared
 * `WebAssembly.Memory`; every worker instantiates the filter against it; a tile is an
 * offset and a stride. No pixel moves between the padding copy after decode and the
 * encoder, which reads the output straight from the shared memory.
 */
import { PAGE } from '../wasm/abi.js';
import { instantiateFilter, type FilterInstance } from '../wasm/filter-module.js';
import { writePadded, type PaddedLayout } from '../tiling/padded-image.js';
import type { Tile } from '../tiling/plan.js';
import type { PreparedImage, StrategyHost } from './host.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from './types.js';

const align16 = (n: number) => (n + 15) & ~15;

/**
 * Hands out regions of a shared memory. Regions come from `memory.grow`, which returns
 * the old size atomically, so the main thread and every worker (growing for its own
 * scratch) get disjoint regions without further coordination; freed regions are reused.
 */
export class SharedArena {
  private free: Array<{ offset: number; size: number }> = [];
  private sizes = new Map<number, number>();

  constructor(readonly memory: WebAssembly.Memory) {}

  allocate(bytes: number): number {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i].size >= bytes && (best < 0 || this.free[i].size < this.free[best].size)) best = i;
    }
    if (best >= 0) {
      const block = this.free.splice(best, 1)[0];
      this.sizes.set(block.offset, block.size);
      return block.offset;
    }
    const pages = Math.ceil(bytes / PAGE);
    let old: number;
    try {
      old = this.memory.grow(pages);
    } catch {
      throw new RangeError(`shared image memory is full: cannot grow by ${pages} pages past ${this.memory.buffer.byteLength / PAGE} pages`);
    }
    this.sizes.set(old * PAGE, pages * PAGE);
    return old * PAGE;
  }

  release(offset: number): void {
    const size = this.sizes.get(offset);
    if (size === undefined) return;
    this.sizes.delete(offset);
    this.free.push({ offset, size });
  }
}

/** Host side of `shared`. */
export class SharedHost implements StrategyHost {
  readonly name = 'shared' as const;
  private readonly arena: SharedArena;

  constructor(private readonly init: RunnerInit) {
    this.arena = new SharedArena(init.sharedMemory!);
  }

  runnerInit(): RunnerInit {
    return this.init;
  }

  prepare(rgba: Uint8Array, layout: PaddedLayout): PreparedImage {
    const dstBytes = layout.width * layout.height * 4;
    const base = this.arena.allocate(align16(layout.byteLength) + dstBytes);
    writePadded(rgba, layout, new Uint8Array(this.init.sharedMemory!.buffer), base);
    return { layout, srcBase: base, dstBase: base + align16(layout.byteLength) };
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
    };
  }

  output(image: PreparedImage): Uint8Array {
    return new Uint8Array(this.init.sharedMemory!.buffer, image.dstBase, image.layout.width * image.layout.height * 4);
  }

  release(image: PreparedImage): void {
    this.arena.release(image.srcBase);
  }

  async close(): Promise<void> {}
}

/** Thread side of `shared`: an instance bound to the shared memory, with scratch grown for this thread alone. */
export class SharedTileRunner implements TileRunner {
  private readonly instance: FilterInstance;
  private scratch = 0;
  private scratchBytes = 0;

  constructor(private readonly init: RunnerInit) {
    this.instance = instantiateFilter(init.variant, init.sharedMemory);
  }

  run(task: TileTask): TileTimings {
    const [p0 = 0, p1 = 0, p2 = 0, p3 = 0] = this.init.params;
    const { exports, memory } = this.instance;
    const need = exports.scratch_size(task.width, task.height, p0, p1, p2, p3);
    if (need > this.scratchBytes) {
      const pages = Math.ceil(need / PAGE);
      this.scratch = memory.grow(pages) * PAGE;
      this.scratchBytes = pages * PAGE;
    }
    const t0 = performance.now();
    exports.filter(task.srcOffset, task.srcStride, task.dstOffset, task.dstStride, task.width, task.height, this.scratch, p0, p1, p2, p3);
    return { splitMs: 0, filterMs: performance.now() - t0, assembleMs: 0 };
  }
}
