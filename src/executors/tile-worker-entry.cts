/**
 * The file piscina loads in each worker thread. CommonJS on purpose: piscina first
 * require()s its worker file, and Node 20's require() of an ES module graph
 * occasionally aborted the whole process ("v8::Module::IsGraphAsync must be used on an
 * instantiated module") when many pools started at once. A CommonJS entry that
 * import()s the real worker avoids that path.
 *
 * The handler is exported as a promise that piscina awaits before it reports the thread
 * ready: once ready, an idle piscina thread blocks in `Atomics.wait`, and a module still
 * loading would not progress (nor announce itself) until the first task arrived.
 */
import type { TileOutcome } from './tile-worker.js';
import type { TileBatch } from './types.js';

type RunTiles = (batch: TileBatch) => Promise<TileOutcome[]>;

const handler: Promise<RunTiles> = import('./tile-worker.js').then(async (worker) => {
  await worker.runnerLoaded;
  return worker.default;
});

export default handler;
