/**
 * Where `npm run build` puts the compiled AssemblyScript (`dist/assembly/`, built from
 * `assembly/`): the one place that knows the path, relative to this compiled file.
 */
import { fileURLToPath } from 'node:url';

/** The built-in filters: `<name>.wasm` (copy), `<name>.shared.wasm` (shared), `<name>.wasi.wasm` (pipe, disk). */
export const BUILTIN_FILTER_DIR = fileURLToPath(new URL('../../assembly/filters/', import.meta.url));

/** Host kernels: SIMD helpers the host calls itself (e.g. `pack-gray.wasm`). */
export const HOST_KERNEL_DIR = fileURLToPath(new URL('../../assembly/host/', import.meta.url));
