/**
 * The big case of `tessera bench`: one large image blurred as a whole process by
 * `tessera run` and by a plain sharp script (`sharp(file).blur(sigma).png(…).toFile(…)`),
 * side by side — wall time, CPU time, peak RSS — at several sizes. The largest is the
 * headline, timed over several pairs; the smaller ones are timed once each and chart how
 * peak memory grows with the image, which is where a tiled pipeline and a streaming one
 * part ways.
 *
 * The two commands are run, timed and compared as the whole-process cells run them
 * (`process/process-command.ts`: A B A B, ratios pair by pair). Outputs are checked on a
 * band of rows (`band-check.ts`), so the bench process never holds a large image decoded.
 */
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { ErrorCode, TesseraError } from 'tessera/internal/errors';
import { ENCODE_OPTIONS } from 'tessera/internal/io/encode';
import { loadFilter } from 'tessera/internal/filter/filter-module';
import { resolveParams } from 'tessera/internal/filter/params';
import { formatMpx } from '../format.js';
import { sharpAcceptsSigma, SHARP_SIGMA } from '../peers/sharp-ops.js';
import {
  outputShapes,
  pairRatios,
  ProcessCommand,
  runPairs,
  SHARP_DISPLAY,
  sharpArgv,
  sharpRunSettings,
  tesseraArgv,
  tesseraRunArgs,
  type OutputShape,
} from '../process/process-command.js';
import type { BigCase, BigImageRun } from '../types.js';
import { bandDifference, middleBand, readBand, referenceBand, SHARP_BLUR_TOLERANCE, type Band, type BandDifference, type BandPixels } from './band-check.js';
import { bigBenchImage } from './mosaic.js';

/** Sides of the default sizes: 1, 16, 64 and 144 Mpx; the last is the headline. */
export const DEFAULT_BIG_SIDES: readonly number[] = [1000, 4000, 8000, 12000];

/** Sides of `--quick`: 1 and 16 Mpx, a few seconds in all. */
export const QUICK_BIG_SIDES: readonly number[] = [1000, 4000];

/** Largest side both commands take with their default pixel limits: sharp's `limitInputPixels` (16383²) and tessera's `--max-pixels` (16384²). */
export const BIG_MAX_SIDE = 16383;

/** Timed pairs at the headline size by default (a pair at 144 Mpx takes ~40 s on 2 cores). */
export const DEFAULT_BIG_PAIRS = 3;

const FILTER = 'gaussian-blur';

/** Options of {@link runBigCase}. */
export interface BigCaseOptions {
  /** Pixels per side of each size, each 1 … {@link BIG_MAX_SIDE}; run smallest first, the largest is the headline. */
  sides: readonly number[];
  /** gaussian-blur sigma, in sharp's range 0.3–1000. */
  sigma: number;
  /** Timed pairs at the headline size (the others get one). @defaultValue 3 */
  pairs?: number;
  /** Untimed runs of each command before the timed ones, at every size. @defaultValue 0 (a run of 144 Mpx takes ~20 s, of which start-up is a sliver) */
  warmup?: number;
  /** Seed of the synthetic set the mosaic is made of. @defaultValue 1 */
  seed?: number;
  /** Where the outputs go. */
  scratch: string;
  /** Where the mosaics are cached. @defaultValue os.tmpdir()/tessera-datasets */
  cacheDir?: string;
  /** Called before each step (a mosaic generated, a run started). */
  onStep?: (label: string) => void;
  /** Called when a size is done. */
  onSize?: (run: BigImageRun) => void;
}

/**
 * Checks the sides of the big case: a non-empty list of integers 1 … {@link BIG_MAX_SIDE}.
 * @returns them sorted, smallest first, without repeats
 * @throws TesseraError Usage naming `what` (e.g. `--big-sizes`) and the bad value
 */
export function checkBigSides(sides: readonly number[], what = 'sides'): number[] {
  if (!sides.length) throw new TesseraError(ErrorCode.Usage, `${what} expects at least one side in pixels`);
  for (const s of sides) {
    if (!(Number.isInteger(s) && s >= 1 && s <= BIG_MAX_SIDE)) {
      throw new TesseraError(ErrorCode.Usage, `${what} expects sides in pixels between 1 and ${BIG_MAX_SIDE} (the default pixel limits of sharp and tessera), got ${s}`);
    }
  }
  return [...new Set(sides)].sort((a, b) => a - b);
}

/** Reads a band, or undefined when the file is missing, unreadable or too small. */
async function tryBand(file: string, band: Band): Promise<BandPixels | undefined> {
  try {
    return await readBand(file, band);
  } catch {
    return undefined;
  }
}

interface SizeContext {
  sigma: number;
  params: number[];
  pairs: number;
  warmup: number;
  seed: number;
  scratch: string;
  cacheDir?: string;
  onStep: (label: string) => void;
}

async function runSize(side: number, headline: boolean, ctx: SizeContext): Promise<BigImageRun> {
  const megapixels = (side * side) / 1e6;
  const what = `big image ${side}×${side} (${formatMpx(megapixels)})`;
  const input = await bigBenchImage(side, { seed: ctx.seed, cacheDir: ctx.cacheDir, onGenerate: (f) => ctx.onStep(`${what}: generating the mosaic, once (${f})`) });
  const band = middleBand(side);
  const expected = await referenceBand(input, FILTER, ctx.params, band, side);
  const output = (dir: string) => join(dir, basename(input));
  const dirs = { tessera: join(ctx.scratch, `big-${side}-tessera`), sharp: join(ctx.scratch, `big-${side}-sharp`) };

  let tesseraShape: OutputShape | undefined;
  let referenceExact = true;
  const tessera = new ProcessCommand(
    'tessera',
    (out) => tesseraArgv(tesseraRunArgs(FILTER, ctx.sigma, input, out)),
    `tessera ${tesseraRunArgs(FILTER, ctx.sigma, '<input>', '<output>').join(' ')}`,
    dirs.tessera,
    async () => {
      tesseraShape = (await outputShapes(dirs.tessera, [input])).get(input);
      const got = tesseraShape?.width === side && tesseraShape.height === side ? await tryBand(output(dirs.tessera), band) : undefined;
      const exact = got !== undefined && bandDifference(got, expected).maxAbsDiff === 0;
      referenceExact &&= exact;
      return exact;
    },
  );
  const sharpSettings = sharpRunSettings(FILTER, ctx.sigma);
  const sharpCommand = new ProcessCommand('sharp', (out) => sharpArgv(input, out, sharpSettings), SHARP_DISPLAY, dirs.sharp, async () => {
    const s = (await outputShapes(dirs.sharp, [input])).get(input);
    return s !== undefined && s.width === side && s.height === side && (tesseraShape === undefined || s.channels === tesseraShape.channels);
  });

  const differences: BandDifference[] = [];
  const loadStart = loadavg()[0];
  const pairs = headline ? ctx.pairs : 1;
  try {
    await runPairs(tessera, sharpCommand, {
      warmup: ctx.warmup,
      pairs,
      onRun: (step) => ctx.onStep(`${what}: ${step}`),
      afterPair: async () => {
        const [t, s] = await Promise.all([tryBand(output(dirs.tessera), band), tryBand(output(dirs.sharp), band)]);
        differences.push(t && s ? bandDifference(t, s) : { meanAbsDiff: Infinity, maxAbsDiff: Infinity });
      },
    });
  } finally {
    tessera.clean();
    sharpCommand.clean();
  }
  const meanAbsDiff = Math.max(...differences.map((d) => d.meanAbsDiff));
  const t = tessera.result();
  const s = sharpCommand.result();
  return {
    side,
    megapixels,
    inputBytes: statSync(input).size,
    headline,
    tessera: { ...t, verified: t.verified && meanAbsDiff <= SHARP_BLUR_TOLERANCE },
    sharp: s,
    wallRatio: pairRatios(t.wallMs, s.wallMs),
    cpuRatio: pairRatios(t.cpuMs, s.cpuMs),
    ...(t.peakRssMb !== undefined && s.peakRssMb !== undefined ? { rssRatio: t.peakRssMb / s.peakRssMb } : {}),
    check: { ...band, referenceExact, meanAbsDiff, maxAbsDiff: Math.max(...differences.map((d) => d.maxAbsDiff)), tolerance: SHARP_BLUR_TOLERANCE },
    loadAverage: { start: loadStart, end: loadavg()[0] },
  };
}

/** The sizes, pairs and warm-up of a big case, checked and with their defaults filled in. */
export interface BigCaseSettings {
  /** Smallest first, no repeats. */
  sides: number[];
  pairs: number;
  warmup: number;
}

/**
 * Checks the sizes, pairs and warm-up of a big case and fills in their defaults — done
 * before a bench starts, so that a bad value fails in a second, not after the matrix.
 * @throws TesseraError Usage naming the bad value
 */
export function bigCaseSettings(options: { sides?: readonly number[]; pairs?: number; warmup?: number }): BigCaseSettings {
  const sides = checkBigSides(options.sides ?? DEFAULT_BIG_SIDES);
  const pairs = options.pairs ?? DEFAULT_BIG_PAIRS;
  const warmup = options.warmup ?? 0;
  if (!(Number.isInteger(pairs) && pairs >= 1)) throw new TesseraError(ErrorCode.Usage, `the big case needs at least one timed pair, got ${pairs}`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new TesseraError(ErrorCode.Usage, `the big case's warm-up must be an integer ≥ 0, got ${warmup}`);
  return { sides, pairs, warmup };
}

/**
 * Runs the big case: for each side, smallest first, the mosaic (generated once and
 * cached), then `tessera run` and the sharp script in turn — `pairs` timed pairs at the
 * largest side, one at the others — every output checked on its middle band.
 * @throws TesseraError Usage for bad sides, pairs or a sigma sharp refuses
 * @throws Error when a command fails or its CPU time cannot be read
 */
export async function runBigCase(options: BigCaseOptions): Promise<BigCase> {
  const { sides, pairs, warmup } = bigCaseSettings(options);
  const seed = options.seed ?? 1;
  if (!sharpAcceptsSigma(options.sigma)) throw new TesseraError(ErrorCode.Usage, `the big case compares with sharp, whose blur takes sigma ${SHARP_SIGMA.min}–${SHARP_SIGMA.max}, not ${options.sigma}`);
  const params = resolveParams(loadFilter(FILTER).manifest, { sigma: options.sigma });
  const ctx: SizeContext = { sigma: options.sigma, params, pairs, warmup, seed, scratch: options.scratch, cacheDir: options.cacheDir, onStep: options.onStep ?? (() => {}) };
  const runs: BigImageRun[] = [];
  for (const [i, side] of sides.entries()) {
    const run = await runSize(side, i === sides.length - 1, ctx);
    runs.push(run);
    options.onSize?.(run);
  }
  const png = { ...ENCODE_OPTIONS.png };
  return {
    filter: FILTER,
    sigma: options.sigma,
    source: `a mosaic of the synthetic Kodak-shaped set's 768×512 images (seed ${seed}, edge pieces cut), RGB PNG ${JSON.stringify(png)}, generated once and cached`,
    seed,
    warmup,
    pairs,
    sharpSettings: { sigma: options.sigma, png, concurrency: sharpRunSettings(FILTER, options.sigma).concurrency },
    sizes: runs,
  };
}
