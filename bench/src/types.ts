import type { StageTimes } from 'tessera/internal/pipeline/stages';
import type { KernelResult } from './kernels.js';
import type { MachineInfo } from './machine.js';

/** One cell of the benchmark matrix: a tessera rung or a peer, for one filter and thread count. */
export interface BenchResult {
  filter: string;
  /** A tessera strategy (`disk`, `pipe`, `copy`, `shared`, `copy-instance`) or a peer's name. */
  strategy: string;
  /** `tessera` or `peer`. */
  kind: 'tessera' | 'peer';
  workers: number;
  /** Timed runs. */
  runs: number;
  /** Wall time of each timed run, end to end (files in → files out). */
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** First run in a fresh session (or after the peer's init), including start-up. */
  coldMs: number;
  /** Busy time per stage in the median run, summed over images and threads (so it can exceed wall time). */
  stages: StageTimes | null;
  mpxPerS: number;
  /** Peak RSS of the benchmark process during the cell (filter processes of disk/pipe not included). */
  peakRssMb: number;
  /** Every output of every run compared bit-identical (tessera: to the TypeScript reference; peers: to their own single-threaded output). */
  verified: boolean;
  /** The filter stage alone on decoded pixels (wall, all images), where measured. */
  filterStage?: { medianMs: number; mpxPerS: number; runs: number };
  notes?: string;
}

/** Median, fastest and slowest of a set of samples. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One command of a whole-process cell over its timed runs (index i of every array is run i). */
export interface ProcessCommandResult {
  /** `tessera` (`tessera run`) or `sharp` (the bench's sharp script, `process/sharp-run.ts`). */
  name: 'tessera' | 'sharp';
  /** The command line, with the paths shown as `<input>` and `<output>`. */
  command: string;
  /** Timed runs. */
  runs: number;
  /** Wall time of each timed run: spawn to exit of the child process, ms. */
  wallMs: number[];
  /** CPU time of each timed run, user + system, of the child and every process it waited for (sh's `times`; 10 ms ticks on Linux), ms. */
  cpuMs: number[];
  userMs: number[];
  sysMs: number[];
  /** Of `wallMs`, ms. */
  wall: Spread;
  /** Of `cpuMs`, ms. */
  cpu: Spread;
  /** Largest peak resident set over the runs (the child's VmHWM sampled every 20 ms; Linux only), MiB. */
  peakRssMb?: number;
  /** Bytes of all output files of the last run. */
  outputBytes: number;
  /**
   * Every run's outputs checked. tessera: decoded and bit-identical to the TypeScript
   * reference (the in-process cells' check). sharp: every output exists and is a PNG of
   * its input's width and height with as many channels as tessera's output.
   */
  verified: boolean;
}

/**
 * A whole-process cell: `tessera run` and a sharp script doing the same work, each a
 * child process started as a user starts it (module loading, start-up and exit included),
 * run in turn — tessera, sharp, tessera, sharp … after one untimed warm-up of each — on
 * the same images with the same output settings.
 */
export interface ProcessCell {
  filter: string;
  /** `dataset`: every image of the bench's input; `image`: its first image alone. */
  input: 'dataset' | 'image';
  images: number;
  megapixels: number;
  /** Untimed runs of each command before the timed pairs. */
  warmup: number;
  tessera: ProcessCommandResult;
  sharp: ProcessCommandResult;
  /** What the sharp script was told (tessera's own PNG options, images in flight and worker count). */
  sharpSettings: { sigma: number; png: object; imagesInFlight: number; concurrency: number };
  /** tessera / sharp wall time, run by run (pair i = run i of each); the figure to quote is the median. */
  wallRatio: Spread;
  /** tessera / sharp CPU time, pair by pair. */
  cpuRatio: Spread;
  /** The machine's 1-minute load average when the cell started and ended: above the CPU count, other processes competed for the cores. */
  loadAverage: { start: number; end: number };
}

/**
 * One size of the big case: one generated image filtered by `tessera run` and by the sharp
 * script (each a fresh child process, in turn), and both outputs checked on a band of rows.
 */
export interface BigImageRun {
  /** Pixels per side of the square image. */
  side: number;
  megapixels: number;
  /** Bytes of the input PNG. */
  inputBytes: number;
  /** The largest size: the headline, timed over the case's `pairs`; the others are timed once each, for the memory chart. */
  headline: boolean;
  /**
   * tessera's `verified`: its output is a PNG of the input's width and height, its band is
   * bit-identical to the TypeScript reference's, and it is within `check.tolerance` of
   * sharp's in every pair. sharp's: a PNG of the input's size with tessera's channel count.
   */
  tessera: ProcessCommandResult;
  sharp: ProcessCommandResult;
  /** tessera / sharp wall time, pair by pair. */
  wallRatio: Spread;
  /** tessera / sharp CPU time (user + sys), pair by pair. */
  cpuRatio: Spread;
  /** tessera / sharp peak RSS (each the largest over its runs); absent where RSS cannot be sampled. */
  rssRatio?: number;
  /** The outputs compared on the rows `top` … `top + rows − 1`, full width, in every pair. */
  check: {
    top: number;
    rows: number;
    /** tessera's band bit-identical to the TypeScript reference on the input's band, in every run. */
    referenceExact: boolean;
    /** Largest over the pairs of the mean |Δ| between tessera's and sharp's band (levels, R G B). */
    meanAbsDiff: number;
    /** Largest |Δ| of any sample in any pair. */
    maxAbsDiff: number;
    /** The largest mean |Δ| allowed. */
    tolerance: number;
  };
  /** The machine's 1-minute load average when this size started and ended. */
  loadAverage: { start: number; end: number };
}

/**
 * The big case: one large image (a mosaic of the synthetic set's pictures, generated once
 * and cached), gaussian-blur as a whole process by `tessera run` and by a plain sharp
 * script, at several sizes; the largest is the headline, the others chart peak memory
 * against image size.
 */
export interface BigCase {
  filter: 'gaussian-blur';
  sigma: number;
  /** How the image is made. */
  source: string;
  /** Seed of the synthetic set its pieces come from. */
  seed: number;
  /** Untimed runs of each command before the timed pairs, at every size. */
  warmup: number;
  /** Timed pairs at the headline size. */
  pairs: number;
  /** What the sharp script was told (tessera's own PNG options and worker count). */
  sharpSettings: { sigma: number; png: object; concurrency: number };
  /** Smallest first; the last is the headline. */
  sizes: BigImageRun[];
}

/** bench.json */
export interface BenchReport {
  tool: 'tessera';
  version: string;
  date: string;
  machine: MachineInfo;
  dataset: { path: string; images: number; megapixels: number; synthetic: boolean };
  settings: {
    filters: string[];
    sigma: number;
    tileSize: number;
    repeat: number;
    warmup: number;
    png: object;
    /** Timed pairs per whole-process cell; 0 = none measured (absent from files written before the whole-process cells). */
    processRepeat?: number;
  };
  /** In-process (warm) cells: a session or peer kept open in the bench's process, timed over repeated runs. */
  results: BenchResult[];
  /** Whole-process cells, as a user runs the command (absent from files written before they were measured). */
  processCells?: ProcessCell[];
  /** The big case: one large image as a whole process, tessera beside sharp (absent when not run). */
  big?: BigCase;
  /** Single-thread kernel throughput of every built-in filter beside memcpy. */
  kernels: KernelResult[];
  /** Peers that could not run here, with the reason. */
  skipped: Array<{ strategy: string; reason: string }>;
}
