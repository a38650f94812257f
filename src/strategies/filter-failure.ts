import { filterText } from '../filter/filter-text.js';

/**
 * Words for what went wrong inside a filter call, decided on the thread where it
 * happened: a WebAssembly trap's type does not survive the trip back from a worker.
 */
export function describeFilterFailure(err: unknown): string {
  const e = err as Error;
  const WasmException = (WebAssembly as unknown as { Exception?: new (...args: never[]) => object }).Exception;
  if (WasmException && err instanceof WasmException) return 'the filter threw a WebAssembly exception it did not catch';
  const message = filterText(e?.message ?? String(err));
  if (e instanceof RangeError && /call stack/i.test(message)) return `WebAssembly trap: stack overflow (${message})`;
  if (e instanceof WebAssembly.RuntimeError) return `WebAssembly trap: ${message}`;
  if (e?.name === 'FilterAbort') return `filter aborted: ${message}`;
  return message;
}

/** Calls `fn`, rethrowing any failure as a plain Error with {@link describeFilterFailure}'s words. */
export function callFilter(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw new Error(describeFilterFailure(err));
  }
}
