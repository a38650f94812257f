/** Busy time per pipeline stage, in milliseconds, summed over images and threads. */
export interface StageTimes {
  decodeMs: number;
  splitMs: number;
  filterMs: number;
  assembleMs: number;
  encodeMs: number;
}

/** All-zero stage times. */
export function emptyStages(): StageTimes {
  return { decodeMs: 0, splitMs: 0, filterMs: 0, assembleMs: 0, encodeMs: 0 };
}

/** Adds `b` into `a`. */
export function addStages(a: StageTimes, b: Partial<StageTimes>): StageTimes {
  a.decodeMs += b.decodeMs ?? 0;
  a.splitMs += b.splitMs ?? 0;
  a.filterMs += b.filterMs ?? 0;
  a.assembleMs += b.assembleMs ?? 0;
  a.encodeMs += b.encodeMs ?? 0;
  return a;
}
