/**
 * `shared` — the rung above the reference: decoded images live in one shared
 * `WebAssembly.Memory`; every worker instantiates the filter against it; a tile is an
 * offset and a stride. No pixel moves between the padding copy after decode and the
 * encoder, which reads the output straight from the shared memory.
 */
import { PAGE } from '../filter/abi.js';
import { createFilterMemory, instantiateFilter, type FilterInstance } from '../filter/filter-module.js';
import { writePadded, type PaddedLayout } from '../tiling/padded-image.js';
import type { Tile } from '../tiling/plan.js';
import type { PreparedImage, StrategyHost } from './host.js';
import { callFilter } from './filter-failure.js';
import { align16 } from '../tiling/rows.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from './types.js';


/**
 * Grows the shared memory on the host's behalf, counting the pages first (slot 1 of
 * `growth`; slot 0 holds the initial size) so that filters' own growth can be told apart.
 * @returns the old size in pages, like `memory.grow`
 */
export function hostGrow(memory: WebAssembly.Memory, pages: number, growth?: Int32Array): number {
  if (growth) Atomics.add(growth, 1, pages);
  try {
    return memory.grow(pages);
  } catch (err) {
    if (growth) Atomics.sub(growth, 1, pages);
    throw err;
  }
}

/**
 * Hands out regions of a shared memory. Regions come from `memory.grow`, which returns
 * the old size atomically, so the main thread and every worker (growing for its own
 * scratch) get disjoint regions without further coordination; freed regions are reused.
 */
export class SharedArena {
  private free: Array<{ offset: number; size: number }> = [];
  private sizes = new Map<number, number>();

  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly growth?: Int32Array,
  ) {}

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
      old = hostGrow(this.memory, pages, this.growth);
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

/**
 * Gives a `shared` runner init its image memory and the growth ledger every thread reads
 * ([initial pages, pages the host grew]) to tell a filter's own growth from the host's.
 */
export function withSharedMemory(init: RunnerInit): RunnerInit & { sharedMemory: WebAssembly.Memory; sharedGrowth: Int32Array } {
  const sharedMemory = createFilterMemory(init.variant);
  const sharedGrowth = new Int32Array(new SharedArrayBuffer(8));
  sharedGrowth[0] = sharedMemory.buffer.byteLength / PAGE;
  return Object.assign(init, { sharedMemory, sharedGrowth });
}

/** Host side of `shared`. */
export class SharedHost implements StrategyHost {
  readonly name = 'shared' as const;
  private readonly arena: SharedArena;

  constructor(private readonly init: RunnerInit) {
    this.arena = new SharedArena(init.sharedMemory!, init.sharedGrowth);
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
      this.scratch = hostGrow(memory, pages, this.init.sharedGrowth) * PAGE;
      this.scratchBytes = pages * PAGE;
    }
    const t0 = performance.now();
    callFilter(() => exports.filter(task.srcOffset, task.srcStride, task.dstOffset, task.dstStride, task.width, task.height, this.scratch, p0, p1, p2, p3));
    const filterMs = performance.now() - t0;
    this.checkGrowth();
    return { splitMs: 0, filterMs, assembleMs: 0 };
  }

  /**
   * A filter may grow the shared memory itself (nothing in WebAssembly forbids it), taking
   * room from every image in flight. Growth the host did not account for is the filter's;
   * past the cap the tile fails. The host counts its pages before growing, so a concurrent
   * host grow never shows up here as the filter's.
   */
  private checkGrowth(): void {
    const { sharedGrowth, maxMemoryPages } = this.init;
    if (!sharedGrowth) return;
    const pages = this.instance.memory.buffer.byteLength / PAGE;
    const filterPages = pages - Atomics.load(sharedGrowth, 0) - Atomics.load(sharedGrowth, 1);
    if (filterPages > maxMemoryPages) {
      throw new Error(`the filter grew the shared memory by ${Math.round((filterPages * PAGE) / 2 ** 20)} MiB, over the cap of ${(maxMemoryPages * PAGE) / 2 ** 20} MiB (--filter-memory)`);
    }
  }
}
