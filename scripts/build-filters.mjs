#!/usr/bin/env node
// Builds tessera filters from AssemblyScript: every filters/<name>.ts with a
// filters/<name>.json manifest becomes, in dist/filters/:
//   <name>.wasm         reactor, imports a plain env.memory        (copy strategy)
//   <name>.shared.wasm  reactor, imports a shared env.memory       (shared strategy)
// Each artifact carries its manifest in the `tessera.manifest` custom section.
//
// Also a small SDK for custom filters:
//   node scripts/build-filters.mjs --src my-filter.ts --manifest my-filter.json --out DIR
// Runs after `tsc` (it uses the compiled wasm helpers in dist/).
import { readFile, writeFile, mkdir, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import asc from 'assemblyscript/asc';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { appendCustomSection, inspectWasmBinary } = await import(join(root, 'dist/src/wasm/binary.js'));
const { parseManifest, MANIFEST_SECTION } = await import(join(root, 'dist/src/wasm/manifest.js'));
const { HOST_BASE } = await import(join(root, 'dist/src/wasm/abi.js'));

const COMMON = ['-O3', '--runtime', 'stub', '--enable', 'simd', '--use', 'abort=', '--noAssert'];
export const VARIANTS = {
  '': [...COMMON, '--importMemory', '--initialMemory', '1'],
  '.shared': [...COMMON, '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536', '--enable', 'threads'],
};

async function compile(src, args) {
  let stderr = '';
  const out = {};
  const { error } = await asc.main([src, '--outFile', 'out.wasm', ...args], {
    writeFile(name, contents) {
      out[name] = contents;
    },
    stderr: { write: (s) => { stderr += s; } },
    stdout: { write: () => {} },
  });
  if (error) throw new Error(`AssemblyScript failed on ${src}:\n${stderr || error.message}`);
  return out['out.wasm'];
}

async function buildFilter(src, manifestPath, outDir) {
  const manifestText = await readFile(manifestPath, 'utf8');
  const manifest = parseManifest(manifestText, manifestPath);
  const payload = new TextEncoder().encode(JSON.stringify(manifest));
  const built = [];
  for (const [suffix, args] of Object.entries(VARIANTS)) {
    const wasm = await compile(src, args);
    const info = inspectWasmBinary(wasm);
    for (const seg of info.dataSegments) {
      if (seg.offset + seg.length > HOST_BASE) {
        throw new Error(`${src}: static data reaches ${seg.offset + seg.length}, past the ${HOST_BASE}-byte statics area`);
      }
    }
    const file = join(outDir, `${manifest.name}${suffix}.wasm`);
    await writeFile(file, appendCustomSection(wasm, MANIFEST_SECTION, payload));
    built.push(file);
  }
  return built;
}

const { values } = parseArgs({
  options: { src: { type: 'string' }, manifest: { type: 'string' }, out: { type: 'string' } },
});
const outDir = resolve(values.out ?? join(root, 'dist/filters'));
await mkdir(outDir, { recursive: true });
const jobs = [];
if (values.src) {
  const manifest = values.manifest ?? values.src.replace(/\.ts$/, '.json');
  jobs.push([resolve(values.src), resolve(manifest)]);
} else {
  const dir = join(root, 'filters');
  for (const f of (await readdir(dir)).sort()) {
    if (f.endsWith('.ts')) jobs.push([join(dir, f), join(dir, basename(f, '.ts') + '.json')]);
  }
}
const started = Date.now();
let count = 0;
for (const [src, manifest] of jobs) count += (await buildFilter(src, manifest, outDir)).length;
console.log(`built ${count} filter modules from ${jobs.length} sources into ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
