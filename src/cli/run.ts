import { Command, Option } from 'commander';
import { basename } from 'node:path';
import { usableCpus } from '../pipeline/cpu-count.js';
import {
  DEFAULT_FILTER_MEMORY_MB,
  DEFAULT_IMAGES_IN_FLIGHT,
  QUEUE_IMAGES_IN_FLIGHT,
  DEFAULT_MAX_PIXELS,
  DEFAULT_TILE_SIZE,
  DEFAULT_STREAM_ABOVE_PIXELS,
  DEFAULT_TILE_TIMEOUT_MS,
  defaultMemoryMb,
} from '../pipeline/defaults.js';
import type { RunSummary } from '../pipeline/session.js';
import { STRATEGIES, type Isolation, type StrategyName } from '../strategies/types.js';
import { collect, megapixels, nonNegativeInt, positiveInt } from './parse.js';
import { IMAGE_FORMATS, type ImageFormat } from '../io/formats.js';
import type { OutputOptions } from '../io/output-spec.js';
import { ErrorCode, TesseraError } from '../errors.js';

/** The one-line summary printed after a run. */
export function formatSummary(s: RunSummary): string {
  const failed = s.failed ? `, ${s.failed} failed` : '';
  const skipped = s.skipped ? `, ${s.skipped} kept from an interrupted run of this command` : '';
  const where = s.backend === 'queue' ? 'on tessera workers through Redis' : `${s.strategy}, ${s.workers} worker${s.workers > 1 ? 's' : ''}`;
  return (
    `${s.succeeded}/${s.images} images${failed}${skipped}, ${s.megapixels.toFixed(2)} Mpx in ${(s.elapsedMs / 1000).toFixed(2)} s — ` +
    `${s.mpxPerS.toFixed(1)} Mpx/s (${s.filter}, ${where}, tile ${s.tileSize})`
  );
}

interface RunFlags {
  filter: string;
  param: string[];
  input: string;
  output: string;
  strategy?: StrategyName;
  isolation: Isolation;
  workers: number;
  tile: number;
  maxPixels: number;
  filterMemory: number;
  memory: number;
  inFlight?: number;
  splitAbove?: number;
  format?: ImageFormat | 'same';
  quality?: number;
  pngLevel?: number;
  strip?: boolean;
  keepOrientation?: boolean;
  name?: string;
  suffix?: string;
  followSymlinks?: boolean;
  tileTimeout: number;
  json?: boolean;
  progress: boolean;
  backend: 'local' | 'queue';
  redis?: string;
  secret?: string;
  sharedDir?: string;
}

/** `tessera run`. */
export function runCommand(): Command {
  return new Command('run')
    .description('filter images tile by tile in WebAssembly')
    .requiredOption('-f, --filter <name|file.wasm>', 'built-in filter name (see `tessera filters`) or a filter .wasm file')
    .option('-p, --param <key=value>', 'filter parameter, repeatable (e.g. --param sigma=2)', collect, [])
    .requiredOption('-i, --input <dir|file>', 'an image or a directory of images (PNG, JPEG, WebP)')
    .requiredOption('-o, --output <dir>', 'output directory (created; must not be inside the input directory)')
    .addOption(
      new Option(
        '-s, --strategy <name>',
        'how pixels reach WASM: shared (zero-copy shared memory), copy (copied into a private instance), pipe (frames through long-lived WASI processes), disk (PNG files, a process per tile); default shared when the filter supports it',
      ).choices([...STRATEGIES]),
    )
    .addOption(new Option('--isolation <level>', 'copy only: pooled (one instance per worker) or instance (a fresh instance per tile)').choices(['pooled', 'instance']).default('pooled'))
    .option('-w, --workers <n>', 'worker threads that may filter tiles; built-in filters start them only when tiles queue up (1 = on the calling thread)', positiveInt('--workers'), usableCpus())
    .option('-t, --tile <n>', 'tile edge in pixels', positiveInt('--tile'), DEFAULT_TILE_SIZE)
    .option('--max-pixels <n>', 'refuse images with more pixels than this, from the header, before decoding (guards time and temporary disk: memory no longer grows with the image)', positiveInt('--max-pixels'), DEFAULT_MAX_PIXELS)
    .option('--memory <mb>', `bound on the pixels decoded, filtered and waiting to be encoded at once, MiB — by default a quarter of this machine's memory, within 256–4096; an image that does not fit waits, and images over ${(DEFAULT_STREAM_ABOVE_PIXELS / 1e6).toFixed(1)} Mpx or over the bound stream through in bands via temporary files in $TMPDIR`, positiveInt('--memory'), defaultMemoryMb())
    .option('--filter-memory <mb>', 'cap on the memory a filter may use or grow: each private memory (copy), the growth of an image\'s memory (shared), the declared maximum of the WASI form (pipe, disk), MiB', positiveInt('--filter-memory'), DEFAULT_FILTER_MEMORY_MB)
    .option('--tile-timeout <ms>', 'per-tile deadline: an overrunning tile\'s worker is stopped and replaced, the image fails', positiveInt('--tile-timeout'), DEFAULT_TILE_TIMEOUT_MS)
    .option('--in-flight <n>', `images decoded, filtered or encoded at once, at most (--memory bounds their bytes); with --backend queue, images enqueued at once (default ${DEFAULT_IMAGES_IN_FLIGHT}, over the queue ${QUEUE_IMAGES_IN_FLIGHT})`, positiveInt('--in-flight'))
    .addOption(new Option('--backend <name>', 'where images are filtered: local (this machine\'s threads) or queue (whole images on tessera workers via Redis; needs --redis)').choices(['local', 'queue']).default('local'))
    .option('--redis <url>', 'Redis URL for --backend queue: redis://HOST:PORT, redis://USER:PASSWORD@HOST:PORT (ACL user), rediss://… (TLS)')
    .option('--shared-dir <dir>', 'queue: storage every machine mounts (e.g. NFS), holding the inputs and the output directory: images travel as paths, not through Redis (needed above 256 MiB a file); start the workers with --shared-dir at their mount of it')
    .option('--split-above <mpx>', 'queue: images over this many megapixels are decoded and encoded here, streamed, and their bands filtered as jobs on every worker at once — worth it for few big images and a costly filter (PNG decoding and encoding stay here, one stream each); without it only a file too big for Redis (256 MiB) is split, every other image is one job decoded on a worker', megapixels('--split-above'))
    .option('--secret <text>', 'queue: secret shared with the workers; jobs and results are authenticated with it (prefer the TESSERA_SECRET variable: a flag is visible to other users in ps)')
    .addOption(new Option('--format <name>', 'output format: same (each image in its input\'s format) or one for all').choices(['same', ...IMAGE_FORMATS]).default('same'))
    .option('--quality <n>', 'JPEG, WebP, AVIF and TIFF quality, 1–100 (sharp\'s defaults: 80; AVIF 50)', positiveInt('--quality'))
    .option('--png-level <n>', 'PNG zlib compression level, 0 (fastest) to 9 (smallest)', nonNegativeInt('--png-level'), 6)
    .option('--strip', 'write no metadata: no EXIF, no ICC profile (pixels are sRGB either way); by default both are kept, the orientation tag reset when it was applied')
    .option('--keep-orientation', 'keep pixels as stored, with their EXIF orientation tag, instead of turning the image upright as it is shown')
    .option('--name <pattern>', 'output file name: {name} the input\'s name without extension, {ext} the output\'s extension, {filter} the filter; e.g. "{name}-{filter}.{ext}" (outputs may then go into the input directory)')
    .option('--suffix <text>', 'shorthand for --name "{name}TEXT.{ext}", e.g. --suffix -blur')
    .option('--follow-symlinks', 'read inputs that are symbolic links (by default a link fails with a line saying so; an output is never written onto an input, link or not)')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  $ tessera run --filter gaussian-blur --param sigma=2 --input photos/ --output out/
  $ tessera run --filter grayscale --input kodim01.png --output out/ --strategy copy --workers 1
  $ tessera run --filter ./my-filter.wasm --input photos/ --output out/ --json
  $ tessera run --filter sobel --input photos/ --output out/ --backend queue --redis redis://queue-host:6379

Exit codes: 0 all images written, 1 some images failed (each named on stderr), 2 usage error.`,
    )
    .action(async (flags: RunFlags) => {
      // A user's filter is asked about itself in a probe thread: start it now, beside the loading below.
      if (/\.wasm$|[/\\]/.test(flags.filter)) (await import('../filter/probe.js')).warmProbe();
      // Imported here, not above: `tessera run --help` should not wait for sharp and WebAssembly.
      const [{ parseParamPairs }, { listInputs, prepareOutputDir }, { Session }, { createProgress }] = await Promise.all([
        import('../filter/params.js'),
        import('../io/inputs.js'),
        import('../pipeline/session.js'),
        import('./progress.js'),
      ]);
      const { checkOutputOptions, renamesOutputs, suffixPattern } = await import('../io/output-spec.js');
      const params = parseParamPairs(flags.param);
      if (flags.name !== undefined && flags.suffix !== undefined) throw new TesseraError(ErrorCode.Usage, '--name and --suffix both name the outputs: give one');
      const outputOptions: OutputOptions = {
        format: flags.format, quality: flags.quality, pngLevel: flags.pngLevel, strip: flags.strip === true,
        name: flags.suffix !== undefined ? suffixPattern(flags.suffix) : flags.name,
      };
      checkOutputOptions(outputOptions);
      const { files, root, rootIsDirectory } = listInputs(flags.input);
      const outDir = prepareOutputDir(flags.output, root, rootIsDirectory, renamesOutputs(outputOptions));
      const session = new Session({
        filter: flags.filter,
        params,
        strategy: flags.strategy,
        isolation: flags.isolation,
        workers: flags.workers,
        tileSize: flags.tile,
        maxPixels: flags.maxPixels,
        filterMemoryMb: flags.filterMemory,
        memoryMb: flags.memory,
        followSymlinks: flags.followSymlinks,
        imagesInFlight: flags.inFlight,
        tileTimeoutMs: flags.tileTimeout,
        backend: flags.backend,
        redis: flags.redis,
        secret: flags.secret,
        sharedDir: flags.sharedDir,
        splitAbovePixels: flags.splitAbove,
        outputOptions,
        keepOrientation: flags.keepOrientation === true,
      });
      const progress = createProgress(files.length, flags.progress && !flags.json);
      let summary: RunSummary;
      try {
        summary = await session.run(files, outDir, {
          onImage: ({ result }) => {
            if (result.error) progress.log(`error: ${result.error}`);
            for (const w of result.warnings ?? []) progress.log(`warning: ${w}`);
            progress.tick(basename(result.input));
          },
          onBand: ({ input, done, total }) => progress.note(`${basename(input)}: band ${done}/${total}`),
        });
      } finally {
        progress.stop();
        await session.close();
      }
      if (flags.json) {
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      } else {
        process.stderr.write(formatSummary(summary) + '\n');
      }
      if (summary.failed > 0) process.exitCode = 1;
      if (flags.backend === 'queue') {
        // ioredis' reply parser keeps a timer alive for ~2 s after large replies (shrinking its
        // buffer pool); the run is over and its keys are deleted, so do not wait for it.
        await new Promise<void>((resolve) => process.stdout.write('', () => process.stderr.write('', () => resolve())));
        process.exit();
      }
    });
}
