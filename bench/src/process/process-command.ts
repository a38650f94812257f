/**
 * The two commands every whole-process measurement compares — `tessera run` and the sharp
 * script (`sharp-run.ts`) — and how one of them is run, checked and summarised: a fresh
 * child process per run, timed by `time-process.ts`, its outputs checked after each run.
 * The whole-process cells (`process-cells.ts`) and the big case (`big/run-big.ts`) both
 * build on this, so their figures mean the same thing.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharp } from 'tessera/internal/io/sharp';
import { IMAGE_EXTENSIONS } from 'tessera/internal/io/formats';
import { ENCODE_OPTIONS } from 'tessera/internal/io/encode';
import { DEFAULT_IMAGES_IN_FLIGHT } from 'tessera/internal/pipeline/defaults';
import type { SharpFilterName } from '../peers/sharp-ops.js';
import { median } from '../stats.js';
import { TESSERA_CLI } from '../tessera-install.js';
import type { ProcessCommandResult, Spread } from '../types.js';
import type { SharpRunSettings } from './sharp-run.js';
import { timeProcess, type ProcessTiming } from './time-process.js';

/** The sharp script the whole-process measurements run (compiled beside this file). */
export const SHARP_RUN_SCRIPT = fileURLToPath(new URL('./sharp-run.js', import.meta.url));

/**
 * What the sharp script is told, all of it taken from tessera's own defaults: its PNG
 * options, its images in flight, and `sharp.concurrency` = tessera's default worker count.
 */
export function sharpRunSettings(filter: SharpFilterName, sigma: number): SharpRunSettings {
  return {
    filter,
    sigma,
    png: { ...ENCODE_OPTIONS.png },
    imagesInFlight: DEFAULT_IMAGES_IN_FLIGHT,
    concurrency: availableParallelism(),
    extensions: [...IMAGE_EXTENSIONS],
  };
}

/** The arguments of `tessera run` (after the command name) for `filter` with tessera's defaults and no progress bar. */
export function tesseraRunArgs(filter: SharpFilterName, sigma: number, input: string, output: string): string[] {
  const params = filter === 'gaussian-blur' ? ['--param', `sigma=${sigma}`] : [];
  return ['run', '--filter', filter, ...params, '--input', input, '--output', output, '--no-progress'];
}

/** The argv that starts `tessera run` as a user's shell would (Node and the installed CLI script). */
export function tesseraArgv(args: readonly string[]): string[] {
  return [process.execPath, TESSERA_CLI, ...args];
}

/** The argv that starts the sharp script on `input` (a folder or one file). */
export function sharpArgv(input: string, output: string, settings: SharpRunSettings): string[] {
  return [process.execPath, SHARP_RUN_SCRIPT, input, output, JSON.stringify(settings)];
}

/** The sharp script's command line as reports show it. */
export const SHARP_DISPLAY = `node ${basename(SHARP_RUN_SCRIPT)} <input> <output> <settings>`;

/** Median, fastest and slowest of `values`. */
export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** `a[i] / b[i]` pair by pair (run i of one command against run i of the other), as a spread. */
export function pairRatios(a: readonly number[], b: readonly number[]): Spread {
  return spread(a.map((v, i) => v / b[i]));
}

/** Width, height and channels of an output PNG. */
export interface OutputShape {
  width: number;
  height: number;
  channels: number;
}

/** Width, height and channels of each output PNG (read from its header); a missing or non-PNG output is left out. */
export async function outputShapes(outDir: string, files: string[]): Promise<Map<string, OutputShape>> {
  const shapes = new Map<string, OutputShape>();
  await Promise.all(
    files.map(async (f) => {
      try {
        // A header read: no pixel is decoded, so no limit applies to large outputs.
        const m = await sharp(join(outDir, basename(f)), { limitInputPixels: false }).metadata();
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

/** One command of a whole-process measurement: how to run it, how to check a run, and its samples. */
export class ProcessCommand {
  readonly runs: ProcessTiming[] = [];
  verified = true;
  bytes = 0;

  /**
   * @param argv the command line for an output folder
   * @param display the command line as reports show it
   * @param outDir where its outputs go; emptied before every run
   * @param check whether the outputs of the run just finished are right
   */
  constructor(
    readonly name: ProcessCommandResult['name'],
    private readonly argv: (outDir: string) => string[],
    readonly display: string,
    readonly outDir: string,
    private readonly check: () => Promise<boolean>,
  ) {}

  /**
   * Runs the command once, checks its outputs, and keeps its timing when `timed`.
   * @throws Error when the command fails or its CPU time cannot be read
   */
  async run(timed: boolean): Promise<void> {
    rmSync(this.outDir, { recursive: true, force: true });
    const timing = await timeProcess(this.argv(this.outDir));
    this.verified = (await this.check()) && this.verified;
    this.bytes = outputBytes(this.outDir);
    if (timed) this.runs.push(timing);
  }

  /** Its timed runs, summarised. */
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

  /** Removes its output folder. */
  clean(): void {
    rmSync(this.outDir, { recursive: true, force: true });
  }
}

/**
 * Runs two commands in turn — `warmup` untimed runs of each, then `pairs` timed pairs,
 * A B A B — so that a drift of the machine hits both alike and run i of one can be set
 * against run i of the other.
 * @param afterPair called after each timed pair, while both outputs of the pair exist
 */
export async function runPairs(
  a: ProcessCommand,
  b: ProcessCommand,
  options: { warmup: number; pairs: number; onRun?: (step: string) => void; afterPair?: (index: number) => Promise<void> },
): Promise<void> {
  for (let i = 0; i < options.warmup; i++) {
    options.onRun?.('warm-up');
    await a.run(false);
    await b.run(false);
  }
  for (let i = 0; i < options.pairs; i++) {
    options.onRun?.(`pair ${i + 1}/${options.pairs}`);
    await a.run(true);
    await b.run(true);
    await options.afterPair?.(i);
  }
}
