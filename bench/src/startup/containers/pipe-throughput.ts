/**
 * The steady-state cost of container isolation, apart from its start-up: the `pipe` strategy
 * on the bench's image set with its long-lived filter processes plain, each in a bwrap sandbox,
 * and each in a runc container (one container per pipe worker, through the strategy's launcher
 * hook). Sessions are opened once (the cold run starts their processes), then timed in
 * interleaved rounds, each starting with another way, so that drift of this shared machine hits
 * every way alike. Every output
 * is compared with a `copy` session's (the pooled instance), bit for bit.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'tessera';
import { setFilterProcessLauncher } from 'tessera/internal/strategies/process/pipe';
import { listInputs } from 'tessera/internal/io/inputs';
import { defaultBenchDataset } from '../../dataset.js';
import { median } from '../../stats.js';
import { allEqual, readOutputs } from '../../verify.js';
import type { PipeThroughput, PipeThroughputRow } from './types.js';

/** Options of {@link measurePipeThroughput}. */
export interface PipeThroughputOptions {
  filter: string;
  /** Launchers to measure beside plain pipe (`setFilterProcessLauncher`), by name. */
  launchers: Partial<Record<'bwrap' | 'runc', string[]>>;
  /** The first N images of the bench's set. @defaultValue all 24 */
  images?: number;
  /** Timed rounds (each runs every way once). */
  rounds: number;
  workers: number;
  /** Directory for outputs (made and emptied here). */
  scratch: string;
  onStep?: (label: string) => void;
}

interface Way {
  launcher: PipeThroughputRow['launcher'];
  session: Session;
  outDir: string;
  samples: number[];
  coldMs: number;
  verified: boolean;
}

/** Runs plain pipe and pipe under each launcher on the same images; rows in that order. */
export async function measurePipeThroughput(options: PipeThroughputOptions): Promise<PipeThroughput> {
  const step = options.onStep ?? (() => {});
  const dataset = await defaultBenchDataset();
  const files = listInputs(dataset).files.slice(0, options.images);
  const base = { filter: options.filter, workers: options.workers, threadStart: 'eager' as const };
  const fresh = (name: string) => {
    const dir = join(options.scratch, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  step(`pipe in containers: the pooled instance's outputs of ${files.length} images (copy)`);
  const reference = new Session({ ...base, strategy: 'copy' });
  let expected: Map<string, Uint8Array>;
  try {
    const dir = fresh('copy');
    const summary = await reference.run(files, dir);
    if (summary.failed) throw new Error(summary.results.find((r) => r.error)?.error);
    expected = await readOutputs(dir, files);
  } finally {
    await reference.close();
  }
  const megapixels = [...expected.values()].reduce((s, px) => s + px.length / 4 / 1e6, 0);
  const ways: Way[] = [];
  try {
    for (const launcher of ['none', 'bwrap', 'runc'] as const) {
      const prefix = launcher === 'none' ? undefined : options.launchers[launcher];
      if (launcher !== 'none' && !prefix) continue;
      step(`pipe in containers: ${launcher === 'none' ? 'plain pipe' : `pipe under ${launcher}`}, cold run (${options.workers} filter processes start)`);
      // The executor takes the launcher when it is made, at the session's first tile: keep it set until then.
      const restore = setFilterProcessLauncher(prefix);
      const way: Way = { launcher, session: new Session({ ...base, strategy: 'pipe' }), outDir: fresh(`pipe-${launcher}`), samples: [], coldMs: NaN, verified: true };
      ways.push(way);
      try {
        const t = performance.now();
        await runVerified(way, files, expected);
        way.coldMs = performance.now() - t;
      } finally {
        restore();
      }
    }
    for (let r = 0; r < options.rounds; r++) {
      step(`pipe in containers: round ${r + 1}/${options.rounds}`);
      // Each round starts with another way, so that no way always runs first (after the others' verification) or last.
      for (let k = 0; k < ways.length; k++) {
        const way = ways[(r + k) % ways.length];
        way.samples.push(await runVerified(way, files, expected));
      }
    }
  } finally {
    for (const way of ways) await way.session.close();
  }
  const plain = ways.find((w) => w.launcher === 'none')!;
  const imagesPerS = (w: Way) => files.length / (median(w.samples) / 1000);
  return {
    filter: options.filter,
    images: files.length,
    megapixels,
    workers: options.workers,
    rows: ways.map((w) => ({
      launcher: w.launcher,
      runs: w.samples.length,
      medianMs: median(w.samples),
      imagesPerS: imagesPerS(w),
      mpxPerS: megapixels / (median(w.samples) / 1000),
      vsPipe: imagesPerS(w) / imagesPerS(plain),
      coldMs: w.coldMs,
      verified: w.verified,
    })),
  };
}

/** One run of a way over every image: its wall time (the session's own), outputs checked. */
async function runVerified(way: Way, files: string[], expected: Map<string, Uint8Array>): Promise<number> {
  const summary = await way.session.run(files, way.outDir);
  if (summary.failed) throw new Error(`pipe under ${way.launcher}: ${summary.results.find((r) => r.error)?.error}`);
  way.verified &&= allEqual(await readOutputs(way.outDir, files), expected, files);
  return summary.elapsedMs;
}
