import { fileURLToPath } from 'node:url';

/** The filter-process script both process strategies spawn. */
export const WASI_PROCESS_SCRIPT = fileURLToPath(new URL('./wasi-process.js', import.meta.url));

/** Node flags for filter processes: node:wasi is experimental in Node 20, and its notice is noise here. */
export const WASI_PROCESS_FLAGS = ['--disable-warning=ExperimentalWarning'];
