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

/** bench.json */
export interface BenchReport {
  tool: 'tessera';
  version: string;
  date: string;
  machine: MachineInfo;
  dataset: { path: string; images: number; megapixels: number; synthetic: boolean };
  settings: { filters: string[]; sigma: number; tileSize: number; repeat: number; warmup: number; png: object };
  results: BenchResult[];
  /** Single-thread kernel throughput of every built-in filter beside memcpy. */
  kernels: KernelResult[];
  /** Peers that could not run here, with the reason. */
  skipped: Array<{ strategy: string; reason: string }>;
}
