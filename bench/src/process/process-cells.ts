/**
 * Whole-process cells: `tessera run` timed as a user times it — a fresh process, module
 * loading, start-up and exit included — beside a sharp script doing the same work, also
 * a fresh process. The in-process cells of `run-bench.ts` keep a session open and time
 * warm runs; these answer "how long does the command take".
 *
 * Like for like: the same images (the bench's data set, or its first image), the same
 * output (PNG with tessera's `ENCODE_OPTIONS.png`, grayscale as 1-channel gray, blur
 * keeping the layout), sharp with tessera's `DEFAULT_IMAGES_IN_FLIGHT` images in flight
 * and `sharp.concurrency` = tessera's default worker count; tessera with its defaults
 * (strategy, workers, images in flight) and `--no-progress`. The two alternate, A B A B,
 * after one untimed warm-up each, so that a drift of the machine hits both alike, and
 * their ratio is taken pair by pair. Every output of every run is checked.
 */
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { listInputs } from 'tessera/internal/io/inputs';
import { sharpAcceptsSigma, type SharpFilterName } from '../peers/sharp-ops.js';
import type { ProcessCell } from '../types.js';
import { outputsMatch } from '../verify.js';
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
} from './process-command.js';

/** The filters a whole-process cell exists for (those sharp does). */
export const PROCESS_FILTERS: readonly SharpFilterName[] = ['grayscale', 'gaussian-blur'];

/** The images of one cell and what their outputs must be. */
export interface ProcessInput {
  kind: ProcessCell['input'];
  /** What both commands are given: a folder holding exactly `files`, or the one file. */
  path: string;
  files: string[];
  /** Width and height of each file. */
  sizes: Map<string, { width: number; height: number }>;
  megapixels: number;
}

/** Options of {@link runProcessCell}. */
export interface ProcessCellOptions {
  filter: SharpFilterName;
  sigma: number;
  input: ProcessInput;
  /** The TypeScript reference's output for every file (RGBA8). */
  expected: Map<string, Uint8Array>;
  /** Timed pairs (tessera then sharp). */
  pairs: number;
  /** Untimed runs of each before them. @defaultValue 1 */
  warmup?: number;
  /** Where the outputs go (two folders are made in it). */
  scratch: string;
  /** Called before every run. */
  onRun?: (label: string) => void;
}

/** Whether a whole-process cell can run `filter` at `sigma` (sharp's blur takes sigma 0.3–1000). */
export function processCellSupports(filter: string, sigma: number): filter is SharpFilterName {
  return (PROCESS_FILTERS as readonly string[]).includes(filter) && (filter !== 'gaussian-blur' || sharpAcceptsSigma(sigma));
}

/**
 * The folder to give both commands for `files`: `root` itself when it holds exactly those
 * images (as a user runs it), else a copy of them in `scratch` (a subset, `--images N`).
 */
export function processInputFolder(root: string, files: string[], scratch: string): string {
  let listed: string[] = [];
  try {
    listed = statSync(root).isDirectory() ? listInputs(root).files : [];
  } catch {
    // Not listable: copy.
  }
  if (listed.length === files.length && listed.every((f, i) => f === files[i])) return root;
  const dir = join(scratch, 'process-input');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of files) copyFileSync(f, join(dir, basename(f)));
  return dir;
}

/**
 * Runs one whole-process cell: a warm-up of each command, then `pairs` timed pairs.
 * @throws Error when a command fails or its CPU time cannot be read
 */
export async function runProcessCell(options: ProcessCellOptions): Promise<ProcessCell> {
  const { filter, sigma, input, expected } = options;
  const warmup = options.warmup ?? 1;
  const sharpSettings = sharpRunSettings(filter, sigma);
  const dirs = { tessera: join(options.scratch, `process-${filter}-${input.kind}-tessera`), sharp: join(options.scratch, `process-${filter}-${input.kind}-sharp`) };

  let tesseraShapes = new Map<string, OutputShape>();
  const tessera = new ProcessCommand(
    'tessera',
    (out) => tesseraArgv(tesseraRunArgs(filter, sigma, input.path, out)),
    `tessera ${tesseraRunArgs(filter, sigma, '<input>', '<output>').join(' ')}`,
    dirs.tessera,
    async () => {
      tesseraShapes = await outputShapes(dirs.tessera, input.files);
      return outputsMatch(dirs.tessera, input.files, expected);
    },
  );
  const sharpCommand = new ProcessCommand(
    'sharp',
    (out) => sharpArgv(input.path, out, sharpSettings),
    SHARP_DISPLAY,
    dirs.sharp,
    async () => {
      const shapes = await outputShapes(dirs.sharp, input.files);
      return input.files.every((f) => {
        const s = shapes.get(f);
        const size = input.sizes.get(f);
        const t = tesseraShapes.get(f);
        return s !== undefined && size !== undefined && s.width === size.width && s.height === size.height && (t === undefined || s.channels === t.channels);
      });
    },
  );

  const loadStart = loadavg()[0];
  const what = `${filter} whole process, ${input.kind === 'image' ? basename(input.files[0]) : `${input.files.length} images`}`;
  await runPairs(tessera, sharpCommand, { warmup, pairs: options.pairs, onRun: (step) => options.onRun?.(`${what}: ${step}`) });
  const t = tessera.result();
  const s = sharpCommand.result();
  tessera.clean();
  sharpCommand.clean();
  return {
    filter,
    input: input.kind,
    images: input.files.length,
    megapixels: input.megapixels,
    warmup,
    tessera: t,
    sharp: s,
    sharpSettings: { sigma, png: sharpSettings.png, imagesInFlight: sharpSettings.imagesInFlight, concurrency: sharpSettings.concurrency },
    wallRatio: pairRatios(t.wallMs, s.wallMs),
    cpuRatio: pairRatios(t.cpuMs, s.cpuMs),
    loadAverage: { start: loadStart, end: loadavg()[0] },
  };
}
