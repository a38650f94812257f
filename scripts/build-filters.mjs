#!/usr/bin/env node
// Builds tessera filters from AssemblyScript: every assembly/filters/<name>.ts with an
// assembly/filters/<name>.json manifest becomes, in dist/assembly/filters/:
//   <name>.wasm         reactor, imports a plain env.memory        (copy strategy)
//   <name>.shared.wasm  reactor, imports a shared env.memory       (shared strategy)
//   <name>.wasi.wasm    WASI command reading tile frames on fd 0   (pipe and disk strategies)
// Each artifact carries its manifest in the `tessera.manifest` custom section.
//
// Also a small SDK for custom filters:
//   node scripts/build-filters.mjs --src my-filter.ts --manifest my-filter.json --out DIR
// Runs after `tsc` (it uses the compiled wasm helpers in dist/).
import { readFile, writeFile, mkdir, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileAssemblyScript } from './asc-compile.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { appendCustomSection, inspectWasmBinary } = await import(join(root, 'dist/src/filter/binary.js'));
const { parseManifest, MANIFEST_SECTION } = await import(join(root, 'dist/src/filter/manifest.js'));
const { HOST_BASE } = await import(join(root, 'dist/src/filter/abi.js'));

const COMMON = ['-O3', '--runtime', 'stub', '--enable', 'simd', '--use', 'abort=', '--noAssert'];
export const VARIANTS = {
  '': [...COMMON, '--importMemory', '--initialMemory', '1'],
  '.shared': [...COMMON, '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536', '--enable', 'threads'],
};

const compile = compileAssemblyScript;

// A maximum, so that --filter-memory (default 256 MiB = 4096 pages) can cap the WASI form too: node:wasi has no cap of its own.
const COMMAND_ARGS = [...COMMON, '--initialMemory', '2', '--maximumMemory', '4096'];

/** The command form: a generated entry that serves frames with the filter's own exports. */
async function compileCommand(src) {
  const dir = dirname(src);
  const entry = join(dir, `.${basename(src, '.ts')}.command.ts`);
  const rel = (p) => {
    const r = relative(dir, p).replace(/\\/g, '/').replace(/\.ts$/, '');
    return r.startsWith('.') ? r : `./${r}`;
  };
  await writeFile(
    entry,
    `import { filter, scratch_size } from "${rel(src)}";\n` +
      `import { serve } from "${rel(join(root, 'assembly/lib/command.ts'))}";\n` +
      `export function _start(): void {\n  serve(filter, scratch_size);\n}\n`,
  );
  try {
    return await compile(entry, COMMAND_ARGS);
  } finally {
    await unlink(entry).catch(() => {});
  }
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
  const command = join(outDir, `${manifest.name}.wasi.wasm`);
  await writeFile(command, appendCustomSection(await compileCommand(src), MANIFEST_SECTION, payload));
  built.push(command);
  return built;
}

const { values } = parseArgs({
  options: { src: { type: 'string' }, manifest: { type: 'string' }, out: { type: 'string' } },
});
const outDir = resolve(values.out ?? join(root, 'dist/assembly/filters'));
await mkdir(outDir, { recursive: true });
const jobs = [];
if (values.src) {
  const manifest = values.manifest ?? values.src.replace(/\.ts$/, '.json');
  jobs.push([resolve(values.src), resolve(manifest)]);
} else {
  const dir = join(root, 'assembly/filters');
  for (const f of (await readdir(dir)).sort()) {
    if (f.endsWith('.ts') && !f.startsWith('.')) jobs.push([join(dir, f), join(dir, basename(f, '.ts') + '.json')]);
  }
}
const started = Date.now();
let count = 0;
for (const [src, manifest] of jobs) count += (await buildFilter(src, manifest, outDir)).length;
/**
 * Host kernels that also work in place in a memory the host already has: built a second time
 * importing a shared memory (`NAME.shared.wasm`), instantiated against a `shared` image's memory.
 * They must have no data segments (instantiation would write them into the image's memory).
 */
const IN_PLACE_KERNELS = new Set(['premultiply']);
/** Host kernels the browser page (tessera serve) runs too: copied under dist/web, which the server mounts at /js/. */
const PAGE_KERNELS = new Set(['premultiply']);

if (!values.src) {
  // Host kernels (assembly/host/*.ts): SIMD helpers the host itself calls, each with its own memory.
  const kernelsOut = join(root, 'dist/assembly/host');
  const pageOut = join(root, 'dist/web/host');
  await mkdir(kernelsOut, { recursive: true });
  await mkdir(pageOut, { recursive: true });
  const kernelsDir = join(root, 'assembly/host');
  for (const f of (await readdir(kernelsDir)).sort()) {
    if (!f.endsWith('.ts') || f.startsWith('.')) continue;
    const name = f.replace(/\.ts$/, '');
    const forms = { '': [...COMMON, '--initialMemory', '1'] };
    if (IN_PLACE_KERNELS.has(name)) forms['.shared'] = VARIANTS['.shared'];
    for (const [suffix, args] of Object.entries(forms)) {
      const wasm = await compile(join(kernelsDir, f), args);
      if (suffix && inspectWasmBinary(wasm).dataSegments.length) throw new Error(`${f}: an in-place kernel must have no data segments`);
      await writeFile(join(kernelsOut, `${name}${suffix}.wasm`), wasm);
      if (PAGE_KERNELS.has(name)) await writeFile(join(pageOut, `${name}${suffix}.wasm`), wasm);
      count++;
    }
  }
}
console.log(`built ${count} filter modules from ${jobs.length} sources into ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
