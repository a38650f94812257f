/**
 * The published ladder of the reference pipeline (Go + Rust/WasmEdge), grayscale on
 * the 24-image Kodak set in 256×256 tiles, on an M3 MacBook Air; "multi" is 8 workers.
 */
export const REFERENCE_LADDER = {
  machine: 'M3 MacBook Air (8 cores)',
  workers: 8,
  rungs: [
    { name: 'naive', strategy: 'disk', singleS: 30.3, multiS: 9.8, what: 'tiles PNG-encoded to disk, a WASM runtime process per tile' },
    { name: 'optimized', strategy: 'pipe', singleS: 29.4, multiS: 8.7, what: 'tiles in memory, piped through stdin/stdout' },
    { name: 'super optimized', strategy: 'copy', singleS: 24.73, multiS: 7.72, what: 'raw pointers into linear memory' },
  ],
} as const;
