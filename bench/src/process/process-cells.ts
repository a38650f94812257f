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
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharp } from 'tessera/internal/io/sharp';
import { IMAGE_EXTENSIONS } from 'tessera/internal/io/formats';
import { ENCODE_OPTIONS } from 'tessera/internal/io/encode';
import { listInputs } from 'tessera/internal/io/inputs';
import { DEFAULT_IMAGES_IN_FLIGHT } from 'tessera/internal/pipeline/defaults';
import { sharpAcceptsSigma, type SharpFilterName } from '../peers/sharp-ops.js';
import { median } from '../stats.js';
import { TESSERA_CLI } from '../tessera-install.js';
import type { ProcessCell, ProcessCommandResult, Spread } from '../types.js';
import { outputsMatch } from '../verify.js';
import type { SharpRunSettings } from './sharp-run.js';
import { timeProcess, type ProcessTiming } from './time-process.js';

/** The sharp script the whole-process cells run (compiled beside this file). */
export const SHARP_RUN_SCRIPT = fileURLToPath(new URL('./sharp-run.js', import.meta.url));

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

function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Width, height and channels of each output PNG (read from its header); a missing or non-PNG output is left out. */
async function outputShapes(outDir: string, files: string[]): Promise<Map<string, { width: number; height: number; channels: number }>> {
  const shapes = new Map<string, { width: number; height: number; channels: number }>();
  await Promise.all(
    files.map(async (f) => {
      try {
        const m = await sharp(join(outDir, basename(f))).metadata();
        if (m.format === 'png' && m.width && m.height && m.channels) shapes.set(f, { width: m.width, height: m.height, channels: m.channels });
      } catch {
        // Missing or unreadable: unverified.
      }
    }),
  );
  return shapes;
}

function outputBytes(outDir: string): number {
  return readdirSync(outDir).reduce((n, f) => n + statSync(join(outDir, f)).size, 0);
}

/** One command of the cell: how to run it, how to check a run, and its samples. */
class Command {
  readonly runs: ProcessTiming[] = [];
  verified = true;
  bytes = 0;

  constructor(
    readonly name: ProcessCommandResult['name'],
    private readonly argv: (outDir: string) => string[],
    readonly display: string,
    readonly outDir: string,
    private readonly check: () => Promise<boolean>,
  ) {}

  async run(timed: boolean): Promise<void> {
    rmSync(this.outDir, { recursive: true, force: true });
    const timing = await timeProcess(this.argv(this.outDir));
    this.verified = (await this.check()) && this.verified;
    this.bytes = outputBytes(this.outDir);
    if (timed) this.runs.push(timing);
  }

  result(): ProcessCommandResult {
    const wallMs = this.runs.map((r) => r.wallMs);
    const userMs = this.runs.map((r) => r.userMs);
    const sysMs = this.runs.map((r) => r.sysMs);
    const cpuMs = this.runs.map((r) => r.userMs + r.sysMs);
    const rss = this.runs.map((r) => r.peakRssMb).filter((v): v is number => v !== undefined);
    return {
      name: this.name,
      command: this.display,
      runs: this.runs.length,
      wallMs,
      cpuMs,
      userMs,
      sysMs,
      wall: spread(wallMs),
      cpu: spread(cpuMs),
      ...(rss.length ? { peakRssMb: Math.max(...rss) } : {}),
      outputBytes: this.bytes,
      verified: this.verified && this.runs.length > 0,
    };
  }
}

/**
 * Runs one whole-process cell: a warm-up of each command, then `pairs` timed pairs.
 * @throws Error when a command fails or its CPU time cannot be read
 */
export async function runProcessCell(options: ProcessCellOptions): Promise<ProcessCell> {
  const { filter, sigma, input, expected } = options;
  const warmup = options.warmup ?? 1;
  const sharpSettings: SharpRunSettings = {
    filter,
    sigma,
    png: { ...ENCODE_OPTIONS.png },
    imagesInFlight: DEFAULT_IMAGES_IN_FLIGHT,
    concurrency: availableParallelism(),
    extensions: [...IMAGE_EXTENSIONS],
  };
  const params = filter === 'gaussian-blur' ? ['--param', `sigma=${sigma}`] : [];
  const tesseraArgs = (input: string, out: string) => ['run', '--filter', filter, ...params, '--input', input, '--output', out, '--no-progress'];
  const dirs = { tessera: join(options.scratch, `process-${filter}-${input.kind}-tessera`), sharp: join(options.scratch, `process-${filter}-${input.kind}-sharp`) };

  let tesseraShapes = new Map<string, { width: number; height: number; channels: number }>();
  const tessera = new Command(
    'tessera',
    (out) => [process.execPath, TESSERA_CLI, ...tesseraArgs(input.path, out)],
    `tessera ${tesseraArgs('<input>', '<output>').join(' ')}`,
    dirs.tessera,
    async () => {
      tesseraShapes = await outputShapes(dirs.tessera, input.files);
      return outputsMatch(dirs.tessera, input.files, expected);
    },
  );
  const sharpCommand = new Command(
    'sharp',
    (out) => [process.execPath, SHARP_RUN_SCRIPT, input.path, out, JSON.stringify(sharpSettings)],
    `node ${basename(SHARP_RUN_SCRIPT)} <input> <output> <settings>`,
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
  for (let i = 0; i < warmup; i++) {
    options.onRun?.(`${what}: warm-up`);
    await tessera.run(false);
    await sharpCommand.run(false);
  }
  for (let i = 0; i < options.pairs; i++) {
    options.onRun?.(`${what}: pair ${i + 1}/${options.pairs}`);
    await tessera.run(true);
    await sharpCommand.run(true);
  }
  const t = tessera.result();
  const s = sharpCommand.result();
  rmSync(dirs.tessera, { recursive: true, force: true });
  rmSync(dirs.sharp, { recursive: true, force: true });
  return {
    filter,
    input: input.kind,
    images: input.files.length,
    megapixels: input.megapixels,
    warmup,
    tessera: t,
    sharp: s,
    sharpSettings: { sigma, png: sharpSettings.png, imagesInFlight: sharpSettings.imagesInFlight, concurrency: sharpSettings.concurrency },
    wallRatio: spread(t.wallMs.map((w, i) => w / s.wallMs[i])),
    cpuRatio: spread(t.cpuMs.map((c, i) => c / s.cpuMs[i])),
    loadAverage: { start: loadStart, end: loadavg()[0] },
  };
}
