/**
 * The file piscina loads in each worker thread. CommonJS on purpose: piscina first
 * require()s its worker file, and Node 20's require() of an ES module graph
 * occasionally aborted the whole process ("v8::Module::IsGraphAsync must be used on an
 * instantiated module") when many pools started at once. A CommonJS entry that
 * import()s the real worker avoids that path.
 */
import type { TileTask } from '../strategies/types.js';
import type { TileOutcome } from './tile-worker.js';

const worker = import('./tile-worker.js');

module.exports = async function runTiles(tasks: TileTask[]): Promise<TileOutcome[]> {
  return (await worker).default(tasks);
};
