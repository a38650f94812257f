#!/usr/bin/env node
// Builds a tessera filter written in C or Rust (Debian's toolchains: clang + lld, or
// /usr/bin/rustc with libstd-rust-dev-wasm32 and lld-14) into the three forms tessera runs,
// each with its manifest embedded as the `tessera.manifest` custom section:
//   <name>.wasm         imports a plain env.memory                       (copy)
//   <name>.shared.wasm  the same module, its memory import marked shared  (shared)
//   <name>.wasi.wasm    a WASI command serving tile frames on fd 0/1      (pipe, disk)
//
//   node scripts/build-native-filter.mjs --src examples/c/box-blur.c --out my-filters
//   node scripts/build-native-filter.mjs --src examples/rust/box_blur.rs --out my-filters
//
// Options: --manifest FILE (default: the source's name with .json), --stack-size BYTES
// (default 32768: the shadow stack, [0, stack-size) of the module's 64 KiB, and under
// `shared` the stack each thread gets), --no-command (skip the WASI form: pipe and disk then
// refuse the filter), --kit DIR (where tessera_filter.h and tessera_command.c are; default
// examples/c), --clang, --rustc (default clang, /usr/bin/rustc — a rustup rustc earlier on
// PATH has no wasm32 core), --flag F (repeatable: passed to the compiler).
//
// Why the shared form is the plain one with its import patched, not `wasm-ld --shared-memory`:
// that flag makes every data segment passive and adds a start function (__wasm_init_memory)
// that copies them in behind a flag in memory. tessera refuses a start function in a shared
// form (it would run at every instantiation, over an image other threads are filtering) and
// rewrites active segments at every instantiation anyway. Nothing else in the code differs:
// the filter uses no atomics. Rust's core, built without the atomics feature, links as usual.
//
// The shadow stack (see src/filter/shadow-stack.ts): every form exports __stack_pointer, so
// that under `shared` tessera can give each thread a stack of its own; a module with
// zero-initialised statics (.bss) gets a start function from wasm-ld and is refused here,
// since those statics would be one copy for every thread.
// Runs after `tsc` (it uses the compiled helpers in dist/).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { appendCustomSection, inspectWasmBinary, withSharedMemoryImport } = await import(join(root, 'dist/src/filter/binary.js'));
const { parseManifest, MANIFEST_SECTION } = await import(join(root, 'dist/src/filter/manifest.js'));
const { HOST_BASE } = await import(join(root, 'dist/src/filter/abi.js'));
const { findShadowStack, shadowStackProblem } = await import(join(root, 'dist/src/filter/shadow-stack.js'));

/** A shared memory must declare a maximum: wasm32's 4 GiB, as the AssemblyScript built-ins. */
const SHARED_MAX_PAGES = 65536;
/** The command form's cap (node:wasi caps nothing else): 256 MiB, tessera's default --filter-memory. */
const COMMAND_MAX_BYTES = 268435456;

const INSTALL = {
  c: 'apt-get install clang lld',
  rust: 'apt-get install rustc libstd-rust-dev-wasm32 lld-14',
};

class BuildError extends Error {}

/**
 * The compilers' environment: PATH without npm's `node_modules/.bin` directories. clang runs
 * binaryen's `wasm-opt` after linking whenever it finds one on PATH, and npm puts
 * AssemblyScript's there (`npm test`, `npx`): it strips the name section tessera reads the
 * stack pointer's name from and rewrites the code, so the same command built different bytes
 * under npm than in a shell.
 */
function compilerEnv(env = process.env) {
  const path = (env.PATH ?? '').split(delimiter).filter((dir) => !/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(dir));
  return { ...env, PATH: path.join(delimiter) };
}

/** Runs a compiler; a missing program or a failed build becomes one message with what to do. */
function run(program, args, language) {
  const r = spawnSync(program, args, { encoding: 'utf8', env: compilerEnv() });
  if (r.error?.code === 'ENOENT') {
    throw new BuildError(`${program} is not installed. Possible solutions:\n- ${INSTALL[language]}`);
  }
  if (r.status !== 0) {
    let hint = '';
    if (language === 'rust' && /can't find crate for `core`|target may not be installed/.test(r.stderr)) {
      hint = `\nPossible solutions:\n- ${INSTALL.rust} (Debian's wasm32 core; rustup cannot download here)\n- pass --rustc /usr/bin/rustc if another rustc comes first on PATH`;
    }
    throw new BuildError(`${program} failed (exit ${r.status}):\n${r.stderr.trim()}${hint}`);
  }
}

const CLANG_COMMON = ['--target=wasm32', '-O3', '-nostdlib', '-msimd128', '-mbulk-memory', '-mmutable-globals'];

/** The plain-memory module (from which the shared form is made) and the command form, compiled from C. */
function compileC(src, tmp, o) {
  const include = ['-I', o.kit, '-I', dirname(src)];
  const stack = ['-Wl,--no-entry', '-Wl,--stack-first', `-Wl,-z,stack-size=${o.stackSize}`];
  const reactor = join(tmp, 'reactor.wasm');
  run(o.clang, [...CLANG_COMMON, ...include, ...o.flags, ...stack, '-Wl,--import-memory', '-Wl,--export=__stack_pointer', '-o', reactor, src], 'c');
  let command;
  if (o.command) {
    command = join(tmp, 'command.wasm');
    run(o.clang, [...CLANG_COMMON, ...include, ...o.flags, ...stack, `-Wl,--max-memory=${COMMAND_MAX_BYTES}`, '-o', command, src, join(o.kit, 'tessera_command.c')], 'c');
  }
  return { reactor, command };
}

/** The same two, compiled from a Rust crate root (`#![no_std]`, `mod tessera;` beside it). */
function compileRust(src, tmp, o) {
  const crateName = basename(src, '.rs').replace(/[^A-Za-z0-9_]/g, '_');
  const common = [
    '--edition', '2021', '--crate-type', 'cdylib', '--crate-name', crateName, '--target', 'wasm32-unknown-unknown',
    '-C', 'opt-level=3', '-C', 'panic=abort', '-C', 'debuginfo=0', '-C', 'target-feature=+simd128,+bulk-memory,+mutable-globals',
    // rustc links wasm32 with --stack-first; its default stack (1 MiB) would put the data past the module's 64 KiB.
    '-C', `link-arg=-zstack-size=${o.stackSize}`, '-C', 'link-arg=--strip-debug', ...o.flags,
  ];
  const reactor = join(tmp, 'reactor.wasm');
  run(o.rustc, [...common, '-C', 'link-arg=--import-memory', '-C', 'link-arg=--export=__stack_pointer', '-o', reactor, src], 'rust');
  let command;
  if (o.command) {
    command = join(tmp, 'command.wasm');
    run(o.rustc, [...common, '--cfg', 'tessera_command', '-C', `link-arg=--max-memory=${COMMAND_MAX_BYTES}`, '-o', command, src], 'rust');
  }
  return { reactor, command };
}

/** What the loader would refuse, said at build time with the build's own remedies. */
function checkReactor(bytes, src, o) {
  const info = inspectWasmBinary(bytes);
  for (const seg of info.dataSegments) {
    if (seg.offset + seg.length > HOST_BASE) {
      throw new BuildError(
        `${src}: static data reaches byte ${seg.offset + seg.length}, past the module's ${HOST_BASE} bytes (the stack takes the first ${o.stackSize}). ` +
          `Possible solutions:\n- a smaller --stack-size\n- smaller constant tables`,
      );
    }
  }
  if (info.startFunction !== undefined && o.shared) {
    const name = info.functionNames.get(info.startFunction) ?? `function ${info.startFunction}`;
    throw new BuildError(
      `${src}: the linker added a start function (${name}) to zero its zero-initialised or mutable statics (.bss). ` +
        'Under shared every thread shares the module\'s bytes of the image\'s memory, so those statics would be one copy for all threads, ' +
        'and a shared form may not have a start function. Possible solutions:\n' +
        '- make them const, locals (the stack is per thread) or scratch (scratch_size)\n- --no-shared: build the copy and WASI forms only',
    );
  }
  return info;
}

/**
 * Builds one filter source into `out`.
 * @returns the files written and a line about the shadow stack
 */
function buildNativeFilter(o) {
  const src = resolve(o.src);
  const language = extname(src) === '.c' ? 'c' : extname(src) === '.rs' ? 'rust' : undefined;
  if (!language) throw new BuildError(`${src}: expected a .c or .rs source`);
  if (!existsSync(src)) throw new BuildError(`${src}: no such file`);
  const manifestPath = resolve(o.manifest ?? src.replace(/\.(c|rs)$/, '.json'));
  let manifestText;
  try {
    manifestText = readFileSync(manifestPath, 'utf8');
  } catch {
    throw new BuildError(`${manifestPath}: no manifest (pass --manifest FILE)`);
  }
  const manifest = parseManifest(manifestText, manifestPath);
  const payload = new TextEncoder().encode(JSON.stringify(manifest));
  const tmp = mkdtempSync(join(tmpdir(), 'tessera-native-'));
  try {
    const { reactor, command } = (language === 'c' ? compileC : compileRust)(src, tmp, o);
    const plain = new Uint8Array(readFileSync(reactor));
    const info = checkReactor(plain, src, o);
    const forms = [['', plain]];
    if (o.shared) forms.push(['.shared', withSharedMemoryImport(plain, SHARED_MAX_PAGES)]);
    if (command) forms.push(['.wasi', new Uint8Array(readFileSync(command))]);
    mkdirSync(o.out, { recursive: true });
    const written = [];
    for (const [suffix, bytes] of forms) {
      const file = join(o.out, `${manifest.name}${suffix}.wasm`);
      if (suffix === '.shared') {
        const problem = shadowStackProblem(findShadowStack(bytes, inspectWasmBinary(bytes)), true, file);
        if (problem) throw new BuildError(`${src}: ${problem}`);
      }
      writeFileSync(file, appendCustomSection(bytes, MANIFEST_SECTION, payload));
      written.push(file);
    }
    const stack = findShadowStack(plain, info);
    const stackLine = stack?.used
      ? `uses a shadow stack of ${stack.initial} bytes, exported as __stack_pointer: under shared each thread gets one of its own`
      : 'uses no shadow stack';
    return { written, stackLine };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const { values } = parseArgs({
  options: {
    src: { type: 'string' },
    manifest: { type: 'string' },
    out: { type: 'string' },
    'stack-size': { type: 'string', default: '32768' },
    'no-command': { type: 'boolean', default: false },
    'no-shared': { type: 'boolean', default: false },
    kit: { type: 'string' },
    clang: { type: 'string', default: 'clang' },
    rustc: { type: 'string', default: '/usr/bin/rustc' },
    flag: { type: 'string', multiple: true, default: [] },
  },
});
try {
  if (!values.src || !values.out) throw new BuildError('usage: node scripts/build-native-filter.mjs --src FILE.c|FILE.rs --out DIR [--manifest FILE.json] [--stack-size BYTES] [--no-command] [--no-shared]');
  const stackSize = Number(values['stack-size']);
  if (!Number.isInteger(stackSize) || stackSize < 16 || stackSize % 16 !== 0 || stackSize >= HOST_BASE) {
    throw new BuildError(`Expected a multiple of 16 from 16 to ${HOST_BASE - 16} for --stack-size but received ${values['stack-size']}`);
  }
  const started = Date.now();
  const { written, stackLine } = buildNativeFilter({
    src: values.src,
    manifest: values.manifest,
    out: resolve(values.out),
    stackSize,
    command: !values['no-command'],
    shared: !values['no-shared'],
    kit: resolve(values.kit ?? join(root, 'examples/c')),
    clang: values.clang,
    rustc: values.rustc,
    flags: values.flag,
  });
  console.log(`built ${written.map((f) => basename(f)).join(', ')} into ${resolve(values.out)} in ${((Date.now() - started) / 1000).toFixed(1)} s; the filter ${stackLine}`);
} catch (err) {
  if (!(err instanceof BuildError) && !(err?.name === 'TesseraError')) throw err;
  console.error(`build-native-filter: ${err.message}`);
  process.exit(err instanceof BuildError ? 1 : 2);
}
