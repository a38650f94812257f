#!/usr/bin/env node
/**
 * A process that holds N idle filter instances, for the holding-cost measurement, which reads
 * its memory from /proc (not from inside).
 *
 *   node --expose-gc instance-holder.js FILTER.wasm N
 *
 * Compiles the filter, makes one instance (the engine's own set-up, outside the measurement),
 * collects garbage, prints "ready 0" and waits for a line on stdin; then instantiates N, each
 * with its own linear memory as the copy strategy gives it (instantiation writes the module's
 * data segments: one page touched), collects garbage, prints "ready N", and holds them until
 * stdin ends.
 */
import { readFileSync } from 'node:fs';
import { instantiateFilter, type FilterVariant } from 'tessera/internal/filter/filter-module';
import { inspectWasmBinary } from 'tessera/internal/filter/binary';

const [file, countArg] = process.argv.slice(2);
const count = Number(countArg);
const bytes = readFileSync(file);
const info = inspectWasmBinary(bytes);
const variant: FilterVariant = {
  module: new WebAssembly.Module(bytes),
  memory: info.importedMemory ? 'imported' : 'exported',
  limits: info.importedMemory ?? info.definedMemory!,
  hash: '',
  byteLength: bytes.length,
};
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const live: unknown[] = [instantiateFilter(variant)];
gc();
process.stdout.write('ready 0\n');
let phase = 0;
process.stdin.on('data', () => {
  if (phase++ !== 0) return;
  for (let i = 0; i < count; i++) live.push(instantiateFilter(variant));
  gc();
  process.stdout.write(`ready ${count}\n`);
});
process.stdin.on('end', () => process.exit(live.length > 0 ? 0 : 1));
