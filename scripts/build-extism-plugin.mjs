#!/usr/bin/env node
// Builds the Extism plugin the bench's `extism` peer runs (bench/src/peers/extism.ts):
// assembly/extism/plugin.ts — tessera's grayscale and gaussian-blur sources behind the
// Extism AssemblyScript PDK's imports — into dist/extism/tessera-extism.wasm; and
// assembly/extism/plugin-pdk.ts (the same filters through the PDK's Host.input() and
// Host.output()) into dist/extism/tessera-extism-pdk.wasm; and assembly/extism/host-call.ts,
// the start-up bench's bare host-call loop, into dist/extism/host-call.wasm.
//
// Flags: tessera's (-O3, stub runtime, SIMD, no asserts) with the plugin's own memory
// (Extism plugins export theirs; a maximum of 256 MiB, as the WASI form's), and
// `--use abort=`: the Extism JS SDK gives a plugin an empty `env` namespace, so a plugin
// importing AssemblyScript's default `env.abort` fails to instantiate (the PDK's example
// names an abort function of its own for the same reason). No `--exportStart`: without
// WASI the SDK never calls `_initialize`, so a start section is the only start that runs.
// Runs after `tsc` (it checks the data segments with the compiled helpers in dist/).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileAssemblyScript } from './asc-compile.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { inspectWasmBinary } = await import(join(root, 'dist/src/filter/binary.js'));
const { HOST_BASE } = await import(join(root, 'dist/src/filter/abi.js'));

const SOURCE = join(root, 'assembly/extism/plugin.ts');
const OUT = join(root, 'dist/extism/tessera-extism.wasm');
const ARGS = ['-O3', '--runtime', 'stub', '--enable', 'simd', '--use', 'abort=', '--noAssert', '--initialMemory', '2', '--maximumMemory', '4096'];
/** The only imports the plugin may have: the Extism kernel's. */
const EXTISM_ENV = 'extism:host/env';

const compile = compileAssemblyScript;

const started = Date.now();
const wasm = await compile(SOURCE, ARGS);
const info = inspectWasmBinary(wasm);
for (const seg of info.dataSegments) {
  // The arena starts at HOST_BASE, as the filters' host area does.
  if (seg.offset + seg.length > HOST_BASE) throw new Error(`${SOURCE}: static data reaches ${seg.offset + seg.length}, past the ${HOST_BASE}-byte statics area`);
}
const foreign = WebAssembly.Module.imports(new WebAssembly.Module(wasm)).filter((i) => i.module !== EXTISM_ENV);
if (foreign.length) throw new Error(`${SOURCE}: imports outside ${EXTISM_ENV}: ${foreign.map((i) => `${i.module}.${i.name}`).join(', ')}`);
await mkdir(dirname(OUT), { recursive: true });
await writeFile(OUT, wasm);
// The PDK's idiomatic form (Host.input(), Host.output(), a garbage-collected heap), for the start-up bench.
const pdk = await compile(join(root, 'assembly/extism/plugin-pdk.ts'), ['-O3', '--runtime', 'incremental', '--enable', 'simd', '--use', 'abort=', '--noAssert', '--maximumMemory', '4096']);
const pdkForeign = WebAssembly.Module.imports(new WebAssembly.Module(pdk)).filter((i) => i.module !== EXTISM_ENV);
if (pdkForeign.length) throw new Error(`plugin-pdk.ts: imports outside ${EXTISM_ENV}: ${pdkForeign.map((i) => `${i.module}.${i.name}`).join(', ')}`);
await writeFile(join(dirname(OUT), 'tessera-extism-pdk.wasm'), pdk);
await writeFile(join(dirname(OUT), 'host-call.wasm'), await compile(join(root, 'assembly/extism/host-call.ts'), ['-O3', '--runtime', 'stub', '--use', 'abort=', '--noAssert']));
console.log(`built the Extism plugin ${OUT} (${wasm.length} bytes), its PDK-style twin and host-call.wasm in ${((Date.now() - started) / 1000).toFixed(1)} s`);
