/**
 * Entry point of a pool thread: builds the strategy's tile runner once from the
 * pool's workerData (compiled module and, for `shared`, the shared memory) and runs
 * tiles. It imports only the strategy it runs — not sharp, not the CLI, not piscina's
 * pool (piscina hands the pool's workerData to the thread as node's own `workerData`)
 * — so a thread is ready in milliseconds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTileRunner } from '../strategies/tile-runner.js';
import type { RunnerInit, TileRunner, TileTask, TileTimings } from '../strategies/types.js';
import { THREAD_READY, type TileBatch } from './types.js';

// Loaded as the thread starts, not at its first batch, and announced: until one thread
// is ready the pool's owner may run tiles itself.
const runner: Promise<TileRunner> = loadTileRunner(workerData as RunnerInit);

/** Settles when the runner is built (or failed to build: the first batch reports why). */
export const runnerLoaded: Promise<void> = runner.then(
  () => parentPort?.postMessage(THREAD_READY),
  () => {},
);

/** One tile's outcome: its timings, or the failure in words (errors do not cross threads intact). */
export type TileOutcome = { ok: true; timings: TileTimings } | { ok: false; error: string };

/** Runs a batch of tiles (one message for several tiles: thread hand-offs cost ~80 µs each). */
export default async function runTiles({ id, tasks, lane }: TileBatch): Promise<TileOutcome[]> {
  const r = await runner;
  // A batch is one image's tiles: the filter is instantiated for that image first (its
  // start function runs), under the thread-start cap, and the deadline starts after.
  try {
    if (tasks.length > 0) r.bind?.(tasks[0]);
  } catch (err) {
    const error = (err as Error)?.message ?? String(err);
    return tasks.map(() => ({ ok: false, error }));
  }
  parentPort?.postMessage({ batchStarted: id });
  return tasks.map((task: TileTask) => {
    try {
      return { ok: true, timings: r.run(task, lane) };
    } catch (err) {
      return { ok: false, error: (err as Error)?.message ?? String(err) };
    }
  });
}
