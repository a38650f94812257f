/** Reusable zero-filled scratch arrays for the large per-image fields and canvases. */

/**
 * Free lists of large zero-filled scratch arrays, reused between the images of a
 * set: allocating ~20 MB of typed arrays per image costs more in GC than filling
 * old ones with zeros.
 */
export class Pool {
  private readonly free = new Map<number, Float32Array[]>();
  private used: Float32Array[] = [];

  take(n: number): Float32Array {
    const a = this.free.get(n)?.pop();
    if (a) a.fill(0);
    const b = a ?? new Float32Array(n);
    this.used.push(b);
    return b;
  }

  /** Makes everything taken since the last call available again. */
  recycle(): void {
    for (const a of this.used) {
      const list = this.free.get(a.length);
      if (list) list.push(a);
      else this.free.set(a.length, [a]);
    }
    this.used = [];
  }
}

/**
 * The pool of the image being rendered. A module variable rather than a parameter
 * so that the painters need not thread it through; safe because rendering is
 * synchronous, one image at a time.
 */
let currentPool: Pool | undefined;

/** A zero-filled array, from the current pool if large. */
export function scratch(n: number): Float32Array {
  return currentPool && n >= 65536 ? currentPool.take(n) : new Float32Array(n);
}

/**
 * Runs `fn` with `pool` (or a fresh one) as the current pool, then recycles what
 * it took and restores the outer pool.
 */
export function withPool<T>(pool: Pool | undefined, fn: () => T): T {
  const outer = currentPool;
  const active = pool ?? new Pool();
  currentPool = active;
  try {
    return fn();
  } finally {
    active.recycle();
    currentPool = outer;
  }
}
