/** The error a tile gets when it overruns its deadline. */
export function tileTimeoutError(timeoutMs: number, what: string): Error {
  return new Error(`exceeded the ${timeoutMs} ms tile deadline (--tile-timeout); ${what}`);
}
