/**
 * Where one Extism `plugin.call` of a tile spends its time, from the probe exports'
 * medians (each probe is a call of its own, so each carries the fixed cost once).
 */
import type { ExtismTileCosts } from './types.js';

/** A tile's Extism call, taken apart. */
export interface ExtismBreakdown {
  /** The call with nothing to do (`noop`). */
  fixedMs: number;
  /** Reading the header and the tile (`read` − `noop`). */
  inputMs: number;
  /** The filter itself, inside the plugin (`filter` − `noop`). */
  filterMs: number;
  /** Writing the output (`write` − `noop`). */
  outputMs: number;
  /** fixed + input + filter + output, against the whole call's median. */
  sumMs: number;
  /** Per host call moving the input (`input_load_u64`), and the output (`store_u64`), in ns. */
  nsPerInputCall: number;
  nsPerOutputCall: number;
  /** Share of the whole call spent moving bytes (input + output over the sum). */
  transferShare: number;
}

/** Splits `t`'s Extism call into fixed cost, input, filter and output. */
export function extismBreakdown(t: ExtismTileCosts): ExtismBreakdown {
  const s = t.steps;
  const fixedMs = s.noop.medianMs;
  const inputMs = Math.max(0, s.read.medianMs - fixedMs);
  const filterMs = Math.max(0, s.filter.medianMs - fixedMs);
  const outputMs = Math.max(0, s.write.medianMs - fixedMs);
  const sumMs = fixedMs + inputMs + filterMs + outputMs;
  return {
    fixedMs,
    inputMs,
    filterMs,
    outputMs,
    sumMs,
    nsPerInputCall: (inputMs * 1e6) / t.hostCalls.input,
    nsPerOutputCall: (outputMs * 1e6) / t.hostCalls.output,
    transferShare: (inputMs + outputMs) / sumMs,
  };
}
