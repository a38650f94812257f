import { Command, Option } from 'commander';
import { usableCpus } from '../pipeline/cpu-count.js';
import { THREAD_STRATEGIES, type ThreadStrategy } from '../strategies/types.js';
import { positiveInt } from './parse.js';
import { DEFAULT_FILTER_MEMORY_MB, DEFAULT_MAX_PIXELS, DEFAULT_TILE_TIMEOUT_MS } from '../pipeline/defaults.js';

interface WorkerFlags {
  redis: string;
  concurrency: number;
  strategy: ThreadStrategy;
  logInterval: number;
  secret?: string;
  filterMemory: number;
  maxTileTimeout: number;
  jobs: number;
  sharedDir?: string;
  maxPixels: number;
}

/** `tessera worker`. */
export function workerCommand(): Command {
  return new Command('worker')
    .description('filter images for `tessera run --backend queue` coordinators on the same Redis, until stopped: each image decoded, filtered on this machine\'s threads and encoded here')
    .requiredOption('--redis <url>', 'Redis URL: redis://HOST:PORT, redis://USER:PASSWORD@HOST:PORT (ACL user), rediss://… (TLS)')
    .option('-c, --concurrency <n>', 'tiles filtered at once (worker threads)', positiveInt('--concurrency'), usableCpus())
    .option('-j, --jobs <n>', 'images taken at once (one decodes or encodes while another is filtered)', positiveInt('--jobs'), 2)
    .addOption(new Option('-s, --strategy <name>', 'how this worker hands pixels to WASM (copy for a filter without a shared form)').choices([...THREAD_STRATEGIES]).default('shared'))
    .option('--shared-dir <dir>', 'this machine\'s mount of the storage runs started with --shared-dir pass images through (inputs read and outputs written there)')
    .option('--max-pixels <n>', 'largest image this worker takes; a job asking for more gets this', positiveInt('--max-pixels'), DEFAULT_MAX_PIXELS)
    .option('--secret <text>', 'secret shared with the coordinators: only jobs signed with it are run, results are signed (prefer the TESSERA_SECRET variable: a flag is visible in ps)')
    .option('--filter-memory <mb>', 'cap on a filter\'s memory on this worker, MiB; a job asking for more gets this', positiveInt('--filter-memory'), DEFAULT_FILTER_MEMORY_MB)
    .option('--max-tile-timeout <ms>', 'longest per-tile deadline this worker grants; a job asking for more gets this', positiveInt('--max-tile-timeout'), 6 * DEFAULT_TILE_TIMEOUT_MS)
    .option('--log-interval <ms>', 'one progress line per interval with work in it', positiveInt('--log-interval'), 1000)
    .addHelpText(
      'after',
      `
Examples:
  $ tessera worker --redis redis://queue-host:6379
  $ tessera worker --redis redis://queue-host:6379 --concurrency 8 --jobs 3
  $ tessera worker --redis redis://queue-host:6379 --shared-dir /mnt/photos
  $ TESSERA_SECRET=$(cat /etc/tessera/secret) tessera worker --redis rediss://tessera:PASSWORD@queue-host:6380

Every job is checked before it runs (fields, keys inside its run, paths inside --shared-dir,
the filter's hash, params against its manifest); with a shared secret, unsigned or altered
jobs are refused.

SIGTERM or Ctrl-C stops taking images, lets the ones in progress finish and exits; a second
signal exits at once (its images are picked up by other workers within seconds).`,
    )
    .action(async (flags: WorkerFlags) => {
      const [{ WorkerNode }, { resolveSecret }] = await Promise.all([import('../queue/worker.js'), import('../queue/auth.js')]);
      const node = new WorkerNode({
        redis: flags.redis,
        concurrency: flags.concurrency,
        strategy: flags.strategy,
        logIntervalMs: flags.logInterval,
        secret: resolveSecret(flags.secret),
        maxFilterMemoryMb: flags.filterMemory,
        maxTileTimeoutMs: flags.maxTileTimeout,
        jobs: flags.jobs,
        sharedDir: flags.sharedDir,
        maxPixels: flags.maxPixels,
      });
      await node.start();
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            process.stderr.write(`tessera worker: ${signal} again, exiting now\n`);
            process.exit(130);
          }
          stopping = true;
          process.stderr.write(`tessera worker: ${signal}, finishing the images in progress…\n`);
          node.close().then(resolve, (err: unknown) => {
            process.stderr.write(`tessera worker: ${String(err)}\n`);
            resolve();
          });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stderr.write(`tessera worker ${node.name}: stopped after ${node.imagesDone} images\n`);
      // Do not wait for ioredis' buffer-pool timer (~2 s after large replies): everything is closed.
      await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
      process.exit();
    });
}
