// Filter ABI v1 — the exports every tessera filter shares.
//
// Memory map: [0, 65536) belongs to the module's statics (data segments are
// rewritten on every instantiation, also into a shared memory); everything from
// 65536 up belongs to the host. Filters never allocate: scratch space comes from
// the host through the `scratch` argument of `filter`.

/** First byte the host owns. */
export const HOST_BASE: usize = 65536;

/** ABI version implemented by this module. */
export function tessera_abi(): i32 {
  return 1;
}

/**
 * Returns a 16-byte-aligned region of at least `bytes` bytes for hosts that copy
 * pixels in. The region starts at HOST_BASE; a later call invalidates earlier
 * regions (it is one arena, grown on demand). Returns 0 when memory cannot grow.
 */
export function alloc(bytes: i32): usize {
  if (bytes < 0) return 0;
  const end = HOST_BASE + <usize>bytes;
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  return HOST_BASE;
}
