/**
 * Entry point of a pool thread: builds the strategy's tile runner once from the
 * pool's workerData (compiled module and, for `shared`, the shared memory) and runs
 * tiles. Kept free of sharp and of the CLI so a thread starts in milliseconds.
 */
import { workerData } from 'piscina';
import { createTileRunner } from '../strategies/index.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from '../strategies/types.js';

let runner: TileRunner | undefined;

/** One tile's outcome: its timings, or the failure in words (errors do not cross threads intact). */
export type TileOutcome = { ok: true; timings: TileTimings } | { ok: false; error: string };

/** Runs a batch of tiles (one message for several tiles: thread hand-offs cost ~80 µs each). */
export default function runTiles(tasks: TileTask[]): TileOutcome[] {
  runner ??= createTileRunner(workerData as RunnerInit);
  return tasks.map((task) => {
    try {
      return { ok: true, timings: runner!.run(task) };
    } catch (err) {
      return { ok: false, error: (err as Error)?.message ?? String(err) };
    }
  });
}
