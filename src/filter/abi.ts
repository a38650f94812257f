/**
 * Filter ABI v1 constants shared by the host, the loader and the build script.
 * The README's "Filter ABI v1" section is the human version of this file.
 */

/** The value `tessera_abi()` returns for this ABI. */
export const ABI_VERSION = 1;

/** Bytes below this address belong to the module's statics; the host owns the rest. */
export const HOST_BASE = 65536;

/** Largest halo a filter may ask for, in pixels. */
export const MAX_HALO = 128;

/** WebAssembly page size. */
export const PAGE = 65536;

/** Imports a filter may declare; anything else is refused at load. */
export const ALLOWED_IMPORTS: ReadonlyArray<{ module: string; name: string; kind: string }> = [
  { module: 'env', name: 'memory', kind: 'memory' },
  { module: 'env', name: 'abort', kind: 'function' },
];

/**
 * Imports the WASI command form (`pipe`, `disk`) may declare: a tile frame in on stdin,
 * out on stdout, an exit code — nothing that reaches files, clocks or randomness, because
 * `node:wasi` is no sandbox for untrusted code. Anything else is refused at load.
 */
export const ALLOWED_WASI_IMPORTS: ReadonlyArray<{ module: string; name: string; kind: string }> = [
  { module: 'wasi_snapshot_preview1', name: 'fd_read', kind: 'function' },
  { module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'function' },
  { module: 'wasi_snapshot_preview1', name: 'proc_exit', kind: 'function' },
];

/** Number of arguments of `filter(src, srcStride, dst, dstStride, width, height, scratch, p0, p1, p2, p3)`. */
export const FILTER_ARITY = 11;
/** Number of arguments of `halo(p0, p1, p2, p3)`. */
export const HALO_ARITY = 4;
/** Number of arguments of `scratch_size(width, height, p0, p1, p2, p3)`. */
export const SCRATCH_ARITY = 6;
