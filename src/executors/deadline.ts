/** Default per-tile deadline, in milliseconds: generous for any real tile, short enough that a looping filter is stopped quickly. */
export const DEFAULT_TILE_TIMEOUT_MS = 10_000;

/** The error a tile gets when it overruns its deadline. */
export function tileTimeoutError(timeoutMs: number, what: string): Error {
  return new Error(`exceeded the ${timeoutMs} ms tile deadline (--tile-timeout); ${what}`);
}
