/**
 * Loading filters: built-in by name or user-supplied by path; ABI v1 validation; a
 * compiled-module cache keyed by content hash so each module is compiled once per
 * process and the same `WebAssembly.Module` is handed to every worker.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { ErrorCode, TesseraError } from '../errors.js';
import { ABI_VERSION, ALLOWED_IMPORTS, ALLOWED_WASI_IMPORTS, FILTER_ARITY, HALO_ARITY, HOST_BASE, MAX_HALO, PAGE, SCRATCH_ARITY } from './abi.js';
import { inspectWasmBinary, type MemoryLimits } from './binary.js';
import { BUILTIN_FILTER_DIR } from './artifacts.js';
import { manifestDifferences, MANIFEST_SECTION, parseManifest, type FilterManifest } from './manifest.js';
import { filterText } from './filter-text.js';
import { findShadowStack, laneStackBytes, shadowStackProblem, STACK_POINTER_EXPORT } from './shadow-stack.js';
import { probeInThread, ProbeTimeout, type FilterFacts, type ProbeAsk, type ProbeOutcome } from './probe.js';

/** How a module gets its linear memory. */
export type MemoryMode = 'exported' | 'imported' | 'imported-shared';

/** One compiled form of a filter. */
export interface FilterVariant {
  module: WebAssembly.Module;
  memory: MemoryMode;
  /** Limits the module declares for its memory (imported or defined). */
  limits: MemoryLimits;
  /** BLAKE2b-512 of the bytes, hex: the cache key and the filter's identity on the wire. */
  hash: string;
  byteLength: number;
  /**
   * A shared form with a shadow stack (exported as `__stack_pointer`, see shadow-stack.ts):
   * bytes of stack the host gives each lane, moving the pointer there before every call.
   * Undefined when the form needs none (no stack, or a plain memory, where the stack stays in the module's own bytes).
   */
  stackBytes?: number;
}

/** A loaded, validated filter. */
export interface FilterModule {
  name: string;
  manifest: FilterManifest;
  /** `built-in` or the absolute path of the user's .wasm. */
  source: string;
  builtin: boolean;
  /** For the copy strategy: a private memory per instance. */
  plain: FilterVariant;
  /** For the shared strategy: imports a shared memory (absent when the module cannot share). */
  shared: FilterVariant | undefined;
  /** Path of the WASI command form, for the `pipe` and `disk` strategies (absent when not built). */
  command: string | undefined;
}

/** How messages name a filter: a built-in by its name, a user's filter by the path of its .wasm. */
export function filterLabel(filter: FilterModule): string {
  return filter.builtin ? filter.name : filter.source;
}

/** The exports tessera calls, typed. */
export interface FilterExports {
  tessera_abi(): number;
  halo(p0: number, p1: number, p2: number, p3: number): number;
  scratch_size(width: number, height: number, p0: number, p1: number, p2: number, p3: number): number;
  filter(
    src: number, srcStride: number, dst: number, dstStride: number, width: number, height: number,
    scratch: number, p0: number, p1: number, p2: number, p3: number,
  ): void;
}

/** A live instance and the memory it works in. */
export interface FilterInstance {
  exports: FilterExports;
  memory: WebAssembly.Memory;
  /** The exported `__stack_pointer`, when the variant has {@link FilterVariant.stackBytes}: the host points it at the calling lane's stack. */
  stackPointer?: WebAssembly.Global;
}

const compiled = new Map<string, WebAssembly.Module>();

/** BLAKE2b-512 of `bytes`, hex. */
export function contentHash(bytes: Uint8Array): string {
  return createHash('blake2b512').update(bytes).digest('hex');
}

/** Compiles `bytes`, or returns the module compiled earlier in this process from the same bytes. */
export function compileCached(bytes: Uint8Array, hash = contentHash(bytes)): WebAssembly.Module {
  let module = compiled.get(hash);
  if (!module) {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    compiled.set(hash, module);
  }
  return module;
}

/** Names of the built-in filters, sorted. */
export function builtinFilterNames(): string[] {
  if (!existsSync(BUILTIN_FILTER_DIR)) return [];
  return readdirSync(BUILTIN_FILTER_DIR)
    .filter((f) => f.endsWith('.wasm') && !f.endsWith('.shared.wasm') && !f.endsWith('.wasi.wasm'))
    .map((f) => f.slice(0, -'.wasm'.length))
    .sort();
}

function invalid(source: string, reason: string): never {
  throw new TesseraError(ErrorCode.FilterInvalid, `${source}: not a tessera filter: ${reason}`);
}

/**
 * Why a shared-memory form with a start function is refused, and what to do instead.
 * Under `shared` every instance of a filter imports one memory per image, and instances
 * are made lazily, one per lane, while other lanes already filter tiles of that image:
 * a start function runs at each of those instantiations and may store anywhere (also
 * with `memory.init` or `memory.fill`), over the source pixels or output already
 * written, so the output would depend on the order of work. A plain (copy) form's start
 * function writes only its instance's private memory, before a tile is copied in: allowed.
 * @param source the file (or label) to name
 * @param index the start function's index
 * @param name its name in the module's `name` section, when it has one
 */
export function sharedStartReason(source: string, index: number, name?: string): string {
  const twin = source.endsWith('.shared.wasm');
  const drop = twin
    ? `delete ${basename(source)}, so that ${basename(source).replace(/\.shared\.wasm$/, '.wasm')} runs under copy`
    : 'import a plain (not shared) env.memory, so that the filter runs under copy';
  // wasm-ld's own start function: with --shared-memory it makes every data segment passive and
  // copies them in (and zeroes .bss) behind a flag in memory; without, it zeroes .bss.
  const linker =
    name === '__wasm_init_memory'
      ? '- it is wasm-ld\'s __wasm_init_memory: link without --shared-memory and mark the memory import shared afterwards ' +
        '(scripts/build-native-filter.mjs does), and keep no zero-initialised or mutable statics (.bss): under shared they would be one copy for every thread\n'
      : '';
  return (
    `imports a shared memory and has a start function (function ${index}${name ? `, ${name}` : ''}), which would run at every instantiation — once per thread ` +
    'and image, while other threads already filter tiles of that image — and could write over its pixels. Possible solutions:\n' +
    linker +
    '- move that work into filter() (AssemblyScript turns top-level statements into a start function)\n' +
    `- drop the shared form: ${drop}, where a start function sees only its instance's own memory`
  );
}

function compileVariant(bytes: Uint8Array, source: string): FilterVariant {
  let info;
  try {
    info = inspectWasmBinary(bytes);
  } catch (err) {
    invalid(source, (err as Error).message);
  }
  const hash = contentHash(bytes);
  let module: WebAssembly.Module;
  try {
    module = compileCached(bytes, hash);
  } catch (err) {
    invalid(source, `does not compile (${(err as Error).message})`);
  }
  for (const imp of WebAssembly.Module.imports(module)) {
    const allowed = ALLOWED_IMPORTS.some((a) => a.module === imp.module && a.name === imp.name && a.kind === imp.kind);
    if (!allowed) {
      const list = ALLOWED_IMPORTS.map((a) => `${a.module}.${a.name} (${a.kind})`).join(', ');
      invalid(source, `imports ${imp.module}.${imp.name} (${imp.kind}); a filter may import only ${list}`);
    }
  }
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  for (const name of ['tessera_abi', 'halo', 'filter']) {
    if (exports.get(name) !== 'function') invalid(source, `missing exported function "${name}"`);
  }
  let memory: MemoryMode;
  let limits: MemoryLimits;
  if (info.importedMemory) {
    memory = info.importedMemory.shared ? 'imported-shared' : 'imported';
    limits = info.importedMemory;
  } else if (info.definedMemory && exports.get('memory') === 'memory') {
    memory = 'exported';
    limits = info.definedMemory;
  } else {
    invalid(source, 'needs a memory: export one as "memory" or import env.memory');
  }
  if (info.dynamicDataSegments > 0) invalid(source, 'has data segments at non-constant offsets');
  for (const seg of info.dataSegments) {
    if (seg.offset + seg.length > HOST_BASE) {
      invalid(source, `a data segment writes bytes ${seg.offset}..${seg.offset + seg.length}, past the ${HOST_BASE}-byte statics area`);
    }
  }
  if (memory === 'imported-shared' && info.startFunction !== undefined) {
    invalid(source, sharedStartReason(source, info.startFunction, info.functionNames.get(info.startFunction)));
  }
  const stack = findShadowStack(bytes, info);
  const stackProblem = shadowStackProblem(stack, memory === 'imported-shared', source);
  if (stackProblem) invalid(source, stackProblem);
  const variant: FilterVariant = { module, memory, limits, hash, byteLength: bytes.length };
  if (memory === 'imported-shared' && stack?.used) variant.stackBytes = laneStackBytes(stack);
  return variant;
}

function readManifest(variant: FilterVariant, source: string, fallbackName: string): FilterManifest {
  const sections = WebAssembly.Module.customSections(variant.module, MANIFEST_SECTION);
  if (sections.length === 0) {
    return { name: fallbackName, description: '', params: [] };
  }
  try {
    return parseManifest(new TextDecoder().decode(sections[0]), source);
  } catch (err) {
    throw new TesseraError(ErrorCode.FilterInvalid, (err as Error).message);
  }
}

/** Creates a memory that fits `variant` (shared when it imports a shared memory). */
export function createFilterMemory(variant: FilterVariant, maximumPages?: number): WebAssembly.Memory {
  const shared = variant.memory === 'imported-shared';
  const declaredMax = variant.limits.maximum;
  let maximum = maximumPages ?? declaredMax ?? 65536;
  if (declaredMax !== undefined) maximum = Math.min(maximum, declaredMax);
  const initial = Math.max(variant.limits.initial, Math.ceil(HOST_BASE / PAGE));
  if (shared) return new WebAssembly.Memory({ initial, maximum, shared: true });
  return new WebAssembly.Memory({ initial, maximum });
}

function readAbortMessage(memory: WebAssembly.Memory, ptr: number): string {
  // AssemblyScript strings: UTF-16, byte length in the 4 bytes before the pointer.
  if (!ptr || ptr < 4 || ptr >= memory.buffer.byteLength) return '';
  const len = new DataView(memory.buffer).getUint32(ptr - 4, true);
  if (ptr + len > memory.buffer.byteLength || len > 4096) return '';
  const units = new Uint16Array(memory.buffer.slice(ptr, ptr + (len & ~1)));
  return String.fromCharCode(...units);
}

/** Raised from a filter's `env.abort` import. */
export class FilterAbort extends Error {
  override name = 'FilterAbort';
}

/**
 * Instantiates a filter variant. For imported memories pass `memory` (or one is made);
 * a module that exports its memory ignores it.
 */
export function instantiateFilter(variant: FilterVariant, memory?: WebAssembly.Memory): FilterInstance {
  const env: Record<string, WebAssembly.ImportValue> = {};
  let mem = memory;
  if (variant.memory !== 'exported') {
    mem ??= createFilterMemory(variant);
    env.memory = mem;
  }
  env.abort = (msg: number, file: number, line: number, column: number) => {
    const m = mem!;
    const text = readAbortMessage(m, msg) || 'abort';
    const where = readAbortMessage(m, file);
    throw new FilterAbort(where ? `${text} at ${where}:${line}:${column}` : text);
  };
  const instance = new WebAssembly.Instance(variant.module, { env });
  const exports = instance.exports as unknown as FilterExports & { memory?: WebAssembly.Memory };
  if (variant.memory === 'exported') mem = exports.memory!;
  const scratch = exports.scratch_size;
  const typed: FilterExports = {
    tessera_abi: exports.tessera_abi,
    halo: exports.halo,
    filter: exports.filter,
    scratch_size: typeof scratch === 'function' ? scratch : () => 0,
  };
  const made: FilterInstance = { exports: typed, memory: mem! };
  if (variant.stackBytes !== undefined) made.stackPointer = (instance.exports as Record<string, WebAssembly.Global>)[STACK_POINTER_EXPORT];
  return made;
}

/** Cap on a probe's memory, in pages (256 MiB): a start function cannot take more while it is asked about itself. */
const PROBE_MEMORY_PAGES = 4096;

/**
 * Instantiates the filter in this thread and asks it what a probe asks (see probe.ts).
 * Runs filter code: call it only for a trusted filter or from the probe thread.
 */
export function gatherFacts(variant: FilterVariant, ask: ProbeAsk): FilterFacts {
  let inst: FilterInstance;
  try {
    inst = instantiateFilter(variant, variant.memory === 'exported' ? undefined : createFilterMemory(variant, PROBE_MEMORY_PAGES));
  } catch (err) {
    return { instantiateError: errorText(err) };
  }
  const raw = inst.exports as unknown as Record<string, { length: number } | undefined>;
  const facts: FilterFacts = { arity: { filter: raw.filter!.length, halo: raw.halo!.length, scratch_size: raw.scratch_size?.length ?? 0 } };
  const call = (f: () => number): ProbeOutcome => {
    try {
      return { value: f() };
    } catch (err) {
      return { error: errorText(err) };
    }
  };
  facts.abi = call(() => inst.exports.tessera_abi());
  const [p0 = 0, p1 = 0, p2 = 0, p3 = 0] = ask.params ?? [];
  if (ask.params) facts.halo = call(() => inst.exports.halo(p0, p1, p2, p3));
  if (ask.params && ask.tileSize) facts.scratch = call(() => inst.exports.scratch_size(ask.tileSize!, ask.tileSize!, p0, p1, p2, p3));
  return facts;
}

/** A failure's words, made safe: they may be the filter's own (an abort message). */
function errorText(err: unknown): string {
  return filterText(err instanceof Error ? err.message : String(err));
}

/**
 * What the filter answers about itself: asked in this thread when it is trusted (built-in),
 * else in a probe thread under a deadline.
 * @throws TesseraError FilterInvalid when an untrusted filter does not answer in time
 */
function askFilter(variant: FilterVariant, ask: ProbeAsk, source: string, trusted: boolean): FilterFacts {
  if (trusted) return gatherFacts(variant, ask);
  try {
    return probeInThread(variant, ask);
  } catch (err) {
    if (err instanceof ProbeTimeout) invalid(source, `${err.message} (a loop in its start function or one of those exports?); its thread was stopped`);
    throw err;
  }
}

function checkInstance(variant: FilterVariant, source: string): void {
  const facts = askFilter(variant, {}, source, false);
  if (facts.instantiateError !== undefined) invalid(source, `cannot be instantiated (${facts.instantiateError})`);
  const arity = facts.arity!;
  const checks: Array<[string, number, number]> = [['filter', arity.filter, FILTER_ARITY], ['halo', arity.halo, HALO_ARITY]];
  if (arity.scratch_size !== 0) checks.push(['scratch_size', arity.scratch_size, SCRATCH_ARITY]);
  for (const [name, n, want] of checks) {
    if (n !== want) invalid(source, `export "${name}" takes ${n} arguments, ABI v1 says ${want}`);
  }
  const abi = facts.abi!;
  if ('error' in abi) invalid(source, `tessera_abi() trapped (${abi.error})`);
  if (abi.value !== ABI_VERSION) invalid(source, `tessera_abi() returned ${abi.value}; this tessera implements ABI ${ABI_VERSION}`);
}

/**
 * Checks a WASI command form (`FILE.wasi.wasm`) before any strategy may run it: it must
 * compile and import only {@link ALLOWED_WASI_IMPORTS}.
 * @returns its path
 * @throws TesseraError FilterInvalid naming the file and the import
 */
function checkCommandForm(path: string): string {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(readFileSync(path));
  } catch (err) {
    invalid(path, `does not compile (${(err as Error).message})`);
  }
  for (const imp of WebAssembly.Module.imports(module)) {
    if (!ALLOWED_WASI_IMPORTS.some((a) => a.module === imp.module && a.name === imp.name && a.kind === imp.kind)) {
      const list = ALLOWED_WASI_IMPORTS.map((a) => `${a.module}.${a.name}`).join(', ');
      invalid(path, `the WASI command form imports ${imp.module}.${imp.name} (${imp.kind}); it may import only ${list}`);
    }
  }
  return path;
}

function existingFile(path: string): string | undefined {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ? path : undefined;
}

function loadFile(path: string): FilterModule {
  const source = resolve(path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source);
  } catch (err) {
    throw new TesseraError(ErrorCode.FilterNotFound, `filter file ${source} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const variant = compileVariant(bytes, source);
  checkInstance(variant, source);
  const manifest = readManifest(variant, source, basename(source, extname(source)).replace(/\.shared$/, ''));
  // The build script writes FILE.wasm, FILE.shared.wasm and FILE.wasi.wasm side by side:
  // a plain-memory module finds its shared-memory twin next to it.
  const stem = source.replace(/(\.shared)?\.wasm$/, '');
  let shared = variant.memory === 'imported-shared' ? variant : undefined;
  const twin = shared ? undefined : existingFile(`${stem}.shared.wasm`);
  if (twin) {
    const candidate = compileVariant(readFileSync(twin), twin);
    checkInstance(candidate, twin);
    if (candidate.memory !== 'imported-shared') invalid(twin, 'does not import a shared env.memory');
    // The host reads the plain module's manifest and runs the twin with it: they must agree.
    const differs = manifestDifferences(manifest, readManifest(candidate, twin, manifest.name));
    if (differs.length) invalid(twin, `declares another manifest than ${source} (${differs.join(', ')}); rebuild both from the same source`);
    shared = candidate;
  }
  const commandForm = existingFile(`${stem}.wasi.wasm`);
  return { name: manifest.name, manifest, source, builtin: false, plain: variant, shared, command: commandForm && checkCommandForm(commandForm) };
}

function loadBuiltin(name: string): FilterModule {
  const read = (suffix: string) => readFileSync(resolve(BUILTIN_FILTER_DIR, `${name}${suffix}.wasm`));
  const plain = compileVariant(read(''), `built-in filter ${name}`);
  const shared = compileVariant(read('.shared'), `built-in filter ${name}`);
  const manifest = readManifest(plain, `built-in filter ${name}`, name);
  return { name, manifest, source: 'built-in', builtin: true, plain, shared, command: existingFile(resolve(BUILTIN_FILTER_DIR, `${name}.wasi.wasm`)) };
}

const loaded = new Map<string, FilterModule>();

/**
 * Loads a filter by built-in name (`gaussian-blur`) or by path to a `.wasm` file,
 * validating it against filter ABI v1. Results are cached per process.
 * @example const blur = loadFilter('gaussian-blur'); blur.manifest.params[0].name // 'sigma'
 * @throws TesseraError FilterNotFound (listing the built-ins) or FilterInvalid (naming the reason)
 */
export function loadFilter(nameOrPath: string): FilterModule {
  const isPath = nameOrPath.endsWith('.wasm') || nameOrPath.includes('/') || nameOrPath.includes('\\');
  const key = isPath ? resolve(nameOrPath) : nameOrPath;
  let filter = loaded.get(key);
  if (filter) {
    if (!isPath || statSync(key, { throwIfNoEntry: false })) return filter;
  }
  if (isPath) {
    filter = loadFile(nameOrPath);
  } else {
    const names = builtinFilterNames();
    if (names.length === 0) {
      throw new TesseraError(ErrorCode.FilterNotFound, `no built-in filters found in ${BUILTIN_FILTER_DIR}. Possible solutions:\n- npm run build`);
    }
    if (!names.includes(nameOrPath)) {
      throw new TesseraError(ErrorCode.FilterNotFound, `unknown filter "${nameOrPath}"; valid filters: ${names.join(', ')} (or a path to a .wasm file)`);
    }
    filter = loadBuiltin(nameOrPath);
  }
  loaded.set(key, filter);
  return filter;
}

/** The name error messages give a filter. */
function filterSource(filter: FilterModule): string {
  return filter.source === 'built-in' ? filter.name : filter.source;
}

/**
 * Calls the filter's `halo` export for these i32 params and checks the answer (a user's
 * filter in a probe thread, under a deadline).
 * @throws TesseraError FilterInvalid on a trap, a loop or an answer out of range
 */
export function filterHalo(filter: FilterModule, params: readonly number[]): number {
  return filterGeometry(filter, params).halo;
}

/**
 * The halo for these params and, with `tileSize`, the scratch bytes of a full tile (what
 * each lane of an image's memory reserves under `shared`), asked in one probe.
 * @throws TesseraError FilterInvalid on a trap, a loop or an answer out of range
 */
export function filterGeometry(filter: FilterModule, params: readonly number[], tileSize?: number): { halo: number; scratchBytes: number } {
  const source = filterSource(filter);
  const facts = askFilter(filter.plain, { params, tileSize }, source, filter.builtin);
  if (facts.instantiateError !== undefined) invalid(source, `cannot be instantiated (${facts.instantiateError})`);
  const halo = facts.halo!;
  if ('error' in halo) invalid(source, `halo() trapped (${halo.error})`);
  if (!Number.isInteger(halo.value) || halo.value < 0 || halo.value > MAX_HALO) {
    throw new TesseraError(ErrorCode.FilterInvalid, `${source}: halo() returned ${halo.value}; allowed 0..${MAX_HALO}`);
  }
  let scratchBytes = 0;
  if (tileSize !== undefined) {
    const scratch = facts.scratch!;
    if ('error' in scratch) invalid(source, `scratch_size() trapped (${scratch.error})`);
    if (!Number.isInteger(scratch.value) || scratch.value < 0) {
      throw new TesseraError(ErrorCode.FilterInvalid, `${source}: scratch_size(${tileSize}, ${tileSize}) returned ${scratch.value}; expected a byte count`);
    }
    scratchBytes = scratch.value;
  }
  return { halo: halo.value, scratchBytes };
}

/**
 * Bytes of scratch the filter asks for a full `tileSize`×`tileSize` tile with these params.
 * @throws TesseraError FilterInvalid on a trap, a loop or an answer that is not a byte count
 */
export function filterScratchBytes(filter: FilterModule, params: readonly number[], tileSize: number): number {
  return filterGeometry(filter, params, tileSize).scratchBytes;
}
