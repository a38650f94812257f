/**
 * Entry point of a pool thread: builds the strategy's tile runner once from the
 * pool's workerData (compiled module and, for `shared`, the shared memory) and runs
 * tiles. Kept free of sharp and of the CLI so a thread starts in milliseconds.
 */
import { workerData } from 'piscina';
import { createTileRunner } from '../strategies/index.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from '../strategies/types.js';

let runner: TileRunner | undefined;

export default function runTile(task: TileTask): TileTimings {
  runner ??= createTileRunner(workerData as RunnerInit);
  return runner.run(task);
}
