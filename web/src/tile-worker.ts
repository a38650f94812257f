/**
 * A tile worker of the page: the browser's twin of tessera's tile runners
 * (src/strategies/shared.ts and copy.ts). Under `shared` it instantiates the filter's
 * shared form against the image's memory once per image and calls `filter` with the
 * offsets and strides tessera uses; under `copy` it copies each tile with its halo into
 * a private instance's memory at the addresses tessera's copy runner uses, and copies
 * the result out. Trap words are decided here, where the trap's type is still known.
 */
import { HOST_BASE, PAGE } from '../../src/filter/abi.js';
import { describeFilterFailure } from '../../src/strategies/filter-failure.js';
import { copyTileLayout, growFilterMemory } from '../../src/strategies/copy-layout.js';
import { copyRows, haloOrigin } from '../../src/tiling/rows.js';
import type { ApiMemory } from '../../src/serve/api-types.js';
import type { CopyBegin, CopyTile, FromWorker, SharedRun, ToWorker } from './protocol.js';
import { tileAt } from './tiles.js';

/** The exports tessera calls (ABI v1). */
interface FilterExports {
  halo(p0: number, p1: number, p2: number, p3: number): number;
  scratch_size(width: number, height: number, p0: number, p1: number, p2: number, p3: number): number;
  filter(src: number, srcStride: number, dst: number, dstStride: number, width: number, height: number, scratch: number, p0: number, p1: number, p2: number, p3: number): void;
}

interface Instance {
  exports: FilterExports;
  memory: WebAssembly.Memory;
  /** The exported `__stack_pointer` of a module with a shadow stack (filter/shadow-stack.ts). */
  stackPointer?: WebAssembly.Global;
}

/** An `env.abort` call: describeFilterFailure names it "filter aborted". */
class FilterAbort extends Error {
  override name = 'FilterAbort';
}

const scope = self as unknown as { onmessage: ((e: MessageEvent<ToWorker>) => void) | null; postMessage(message: FromWorker, transfer?: Transferable[]): void };
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

/** An AssemblyScript string (UTF-16, byte length before it), read as filter-module.ts reads an abort message. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr || ptr < 4 || ptr >= memory.buffer.byteLength) return '';
  const len = new DataView(memory.buffer).getUint32(ptr - 4, true);
  if (ptr + len > memory.buffer.byteLength || len > 4096) return '';
  return String.fromCharCode(...new Uint16Array(memory.buffer.slice(ptr, ptr + (len & ~1))));
}

/** Instantiates a filter over `memory` (ignored by a module that exports its own), with tessera's `env.abort`. */
function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory | undefined): Instance {
  let mem = memory;
  const env: Record<string, WebAssembly.ImportValue> = {
    abort: (msg: number, file: number, line: number, column: number) => {
      const text = (mem && readString(mem, msg)) || 'abort';
      const where = mem && readString(mem, file);
      throw new FilterAbort(where ? `${text} at ${where}:${line}:${column}` : text);
    },
  };
  if (memory) env.memory = memory;
  const instance = new WebAssembly.Instance(module, { env });
  const exports = instance.exports as unknown as Partial<FilterExports> & { memory?: WebAssembly.Memory; __stack_pointer?: WebAssembly.Global };
  mem ??= exports.memory;
  if (!mem) throw new Error('the module has no memory');
  return {
    exports: { halo: exports.halo!, filter: exports.filter!, scratch_size: typeof exports.scratch_size === 'function' ? exports.scratch_size : () => 0 },
    memory: mem,
    stackPointer: exports.__stack_pointer instanceof WebAssembly.Global ? exports.__stack_pointer : undefined,
  };
}

/** A private memory as createFilterMemory makes it for `copy`: the module's initial pages, capped by --filter-memory. */
function privateMemory(limits: ApiMemory, maxMemoryPages: number): WebAssembly.Memory | undefined {
  if (limits.mode === 'exported') return undefined;
  const maximum = limits.maximum !== undefined ? Math.min(maxMemoryPages, limits.maximum) : maxMemoryPages;
  const initial = Math.max(limits.initial, Math.ceil(HOST_BASE / PAGE));
  if (limits.mode === 'imported-shared') return new WebAssembly.Memory({ initial, maximum, shared: true });
  return new WebAssembly.Memory({ initial, maximum });
}

/** `shared`: take tiles from the counter until none are left. */
function runShared(m: SharedRun): void {
  const [p0 = 0, p1 = 0, p2 = 0, p3 = 0] = m.params;
  const dstStride = m.grid.width * 4;
  let instance: Instance | undefined;
  let tiles = 0;
  let filterMs = 0;
  for (;;) {
    const index = Atomics.add(m.counter, 0, 1);
    if (index >= m.grid.count) break;
    const tile = tileAt(m.grid, index);
    m.since[m.lane] = Date.now();
    Atomics.store(m.busy, m.lane, index + 1);
    try {
      // Bound to this image's memory once, on this lane's first tile (tessera's bind()).
      instance ??= instantiate(m.module, m.memory);
      const { exports, stackPointer } = instance;
      const slot = m.scratchBase + m.lane * m.slotBytes;
      // Every lane's instance imports this memory: each gets a stack of its own, above its scratch, before any call.
      if (m.laneStack && stackPointer) stackPointer.value = slot + m.slotBytes;
      const need = exports.scratch_size(tile.width, tile.height, p0, p1, p2, p3);
      if (need > m.scratchBytes) throw new Error(`scratch_size(${tile.width}, ${tile.height}) = ${need} bytes, more than the ${m.scratchBytes} it returned for a full tile`);
      const src = m.srcBase + m.origin + tile.y * m.stride + tile.x * 4;
      const dst = m.dstBase + (tile.y * m.grid.width + tile.x) * 4;
      const t0 = performance.now();
      exports.filter(src, m.stride, dst, dstStride, tile.width, tile.height, slot, p0, p1, p2, p3);
      filterMs += performance.now() - t0;
      tiles++;
    } catch (err) {
      Atomics.store(m.counter, 0, m.grid.count); // the other lanes stop at their next tile
      Atomics.store(m.busy, m.lane, 0);
      post({ type: 'failed', job: m.job, index, reason: describeFilterFailure(err) });
      return;
    }
    Atomics.store(m.busy, m.lane, 0);
  }
  post({ type: 'shared-done', job: m.job, lane: m.lane, tiles, filterMs });
}

/** The image this worker copies tiles from under `copy`, and its fresh instance (or why it has none). */
let copyImage: { begin: CopyBegin; source: Uint8Array; instance?: Instance; failure?: string } | undefined;

function beginCopy(m: CopyBegin): void {
  copyImage = { begin: m, source: new Uint8Array(m.source) };
  try {
    // A fresh instance over a fresh memory per image: no state of the last image reaches this one.
    copyImage.instance = instantiate(m.module, privateMemory(m.memory, m.maxMemoryPages));
  } catch (err) {
    copyImage.failure = describeFilterFailure(err); // reported with the first tile this worker is given
  }
}

/** `copy`: one tile, at the addresses CopyTileRunner uses (source at HOST_BASE, then output, then scratch). */
function runCopyTile(m: CopyTile): void {
  if (!copyImage || copyImage.begin.job !== m.job) return; // its image has failed already
  const { begin, source, instance, failure } = copyImage;
  if (!instance) {
    copyImage = undefined;
    post({ type: 'failed', job: m.job, index: m.index, reason: failure ?? 'no instance' });
    return;
  }
  const { halo, stride, origin, maxMemoryPages } = begin;
  const [p0 = 0, p1 = 0, p2 = 0, p3 = 0] = begin.params;
  const tile = tileAt(begin.grid, m.index);
  const { width, height } = tile;
  try {
    const { exports, memory } = instance;
    // The addresses tessera's copy runner uses (src/strategies/copy-layout.ts, the same module).
    const { inStride, inRows, outStride, srcPtr, dstPtr, scratchPtr } = copyTileLayout(width, height, halo);
    growFilterMemory(memory, scratchPtr + exports.scratch_size(width, height, p0, p1, p2, p3), maxMemoryPages);
    const interior = origin + tile.y * stride + tile.x * 4;
    copyRows(source, haloOrigin(interior, stride, halo), stride, new Uint8Array(memory.buffer), srcPtr, inStride, (width + 2 * halo) * 4, inRows);
    const t0 = performance.now();
    exports.filter(srcPtr + halo * inStride + halo * 4, inStride, dstPtr, outStride, width, height, scratchPtr, p0, p1, p2, p3);
    const filterMs = performance.now() - t0;
    const out = new ArrayBuffer(outStride * height);
    copyRows(new Uint8Array(memory.buffer), dstPtr, outStride, new Uint8Array(out), 0, outStride, outStride, height);
    post({ type: 'copy-tile-done', job: m.job, index: m.index, out, filterMs }, [out]);
  } catch (err) {
    copyImage = undefined; // the image has failed: its remaining tiles are not run
    post({ type: 'failed', job: m.job, index: m.index, reason: describeFilterFailure(err) });
  }
}

scope.onmessage = ({ data }) => {
  if (data.type === 'shared') runShared(data);
  else if (data.type === 'copy-begin') beginCopy(data);
  else runCopyTile(data);
};
