#!/usr/bin/env node
/**
 * A fresh process measuring one module's start-up: compile, instantiate, first call,
 * and the steady per-tile time. Run by `tessera bench startup` with V8's tier flags
 * (`--liftoff-only`, `--no-liftoff`), which apply per process only.
 *
 *   node [flags] probe.js FILE.wasm [compile-only]
 *   node --expose-gc probe.js FILE.wasm memory N     resident bytes per live instance (one 64 KiB page touched)
 * prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { instantiateFilter, type FilterVariant } from 'tessera/internal/filter/filter-module';
import { inspectWasmBinary } from 'tessera/internal/filter/binary';
import { HOST_BASE } from 'tessera/internal/filter/abi';

const [file, mode] = process.argv.slice(2);
const bytes = readFileSync(file);
const t0 = performance.now();
const module = new WebAssembly.Module(bytes);
const compileMs = performance.now() - t0;
if (mode === 'compile-only') {
  process.stdout.write(JSON.stringify({ compileMs }) + '\n');
} else if (mode === 'memory') {
  const count = Number(process.argv[4] ?? 1000);
  const info = inspectWasmBinary(bytes);
  const variant: FilterVariant = { module, memory: 'imported', limits: info.importedMemory!, hash: '', byteLength: bytes.length };
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const live = [];
  instantiateFilter(variant); // engine set-up outside the measurement
  gc();
  const before = process.memoryUsage().rss;
  // Each instance gets its own one-page memory (instantiation writes its data segments: one OS page).
  for (let i = 0; i < count; i++) live.push(instantiateFilter(variant));
  gc();
  const created = process.memoryUsage().rss;
  // Then touch that whole 64 KiB page, as a filter at work would: resident memory, not just reserved.
  for (const inst of live) new Uint8Array(inst.memory.buffer).fill(1, 0, 65536);
  gc();
  const touched = process.memoryUsage().rss;
  const pageBytes = live.reduce((s, inst) => s + inst.memory.buffer.byteLength, 0) / count;
  process.stdout.write(
    JSON.stringify({ compileMs, instances: count, pageBytes, engineBytes: (created - before) / count, bytesPerInstance: (touched - before) / count }) + '\n',
  );
} else {
  const info = inspectWasmBinary(bytes);
  const limits = info.importedMemory ?? info.definedMemory!;
  const variant: FilterVariant = { module, memory: info.importedMemory ? 'imported' : 'exported', limits, hash: '', byteLength: bytes.length };
  const t1 = performance.now();
  const { exports, memory } = instantiateFilter(variant);
  const instantiateMs = performance.now() - t1;
  // One 256×256 tile with a halo of up to 8, in the host area.
  const w = 256;
  const halo = exports.halo(200, 0, 0, 0) <= 8 ? exports.halo(200, 0, 0, 0) : 8;
  const stride = (w + 2 * halo) * 4;
  const src = HOST_BASE;
  const dst = src + stride * (w + 2 * halo);
  const scratch = dst + w * w * 4;
  const need = scratch + exports.scratch_size(w, w, 200, 0, 0, 0) + 65536;
  if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  new Uint8Array(memory.buffer, src, stride * (w + 2 * halo)).fill(97);
  const call = () => exports.filter(src + halo * stride + halo * 4, stride, dst, w * 4, w, w, scratch, 200, 0, 0, 0);
  const t2 = performance.now();
  call();
  const firstCallMs = performance.now() - t2;
  const samples: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    call();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ compileMs, instantiateMs, firstCallMs, tileMs: samples[samples.length >> 1] }) + '\n');
}
