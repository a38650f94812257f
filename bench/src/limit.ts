/** Bounded concurrency, with no dependency: the whole-process sharp script loads it beside sharp alone. */

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in order of start; rejects
 * with the first error after every started call has settled (no output is left half-written
 * by a still-running call when the caller cleans up).
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (err) {
        if (!failed) firstError = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failed) throw firstError;
}
