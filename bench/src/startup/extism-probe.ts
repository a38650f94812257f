#!/usr/bin/env node
/**
 * A fresh process measuring what it takes to get tessera's two filters ready to call,
 * cold: through the Extism SDK, or through tessera's own loader. Run by
 * `tessera bench startup` (startup/extism.ts), alternately, several times each.
 *
 *   node extism-probe.js extism PLUGIN.wasm                import the SDK, createPlugin(bytes as an ArrayBuffer)
 *   node extism-probe.js extism-manifest PLUGIN.wasm       the same with a manifest object, { wasm: [{ data }] }
 *   node extism-probe.js tessera A.wasm B.wasm             import tessera's loader, compile + instantiate each
 * prints one JSON line: { importMs, createMs }.
 */
import { readFileSync } from 'node:fs';
// Only this helper is imported up front (it loads tessera's tiling modules, not the SDK): the SDK's import is timed below.
import { createExtismPlugin, loadExtism } from '../peers/extism-plugin.js';

const [mode, ...files] = process.argv.slice(2);
const bytes = files.map((f) => readFileSync(f));
let importMs: number;
let createMs: number;
if (mode === 'extism' || mode === 'extism-manifest') {
  const t0 = performance.now();
  await loadExtism();
  importMs = performance.now() - t0;
  const t1 = performance.now();
  const plugin = await createExtismPlugin(bytes[0], { manifest: mode === 'extism-manifest' });
  createMs = performance.now() - t1;
  await plugin.close();
} else if (mode === 'tessera') {
  const t0 = performance.now();
  const [{ instantiateFilter }, { inspectWasmBinary }] = await Promise.all([
    import('tessera/internal/filter/filter-module'),
    import('tessera/internal/filter/binary'),
  ]);
  importMs = performance.now() - t0;
  const t1 = performance.now();
  for (const b of bytes) {
    const info = inspectWasmBinary(b);
    const module = new WebAssembly.Module(b);
    instantiateFilter({ module, memory: 'imported', limits: info.importedMemory!, hash: '', byteLength: b.length });
  }
  createMs = performance.now() - t1;
} else {
  throw new Error(`usage: extism-probe.js extism|extism-manifest PLUGIN.wasm | tessera A.wasm [B.wasm…], got "${mode}"`);
}
process.stdout.write(JSON.stringify({ importMs, createMs }) + '\n');
