/** The words bench.md and the HTML report share: filter labels, the two kinds of figure, the busy-machine warning, what the whole-process measurements are. */
import { countOf } from './format.js';
import type { BenchReport, BigCase, ProcessCell } from './types.js';

/** A filter as the report names it: gaussian-blur carries its sigma. */
export function filterLabel(bench: Pick<BenchReport, 'settings'>, filter: string): string {
  return filter === 'gaussian-blur' ? `gaussian-blur σ=${bench.settings.sigma}` : filter;
}

/** Figures of a session (or peer) kept open in the bench's process, timed over repeated runs. */
export const IN_PROCESS = 'in-process (warm)';

/** Figures of a command started as a fresh process each time, as a user starts it. */
export const WHOLE_PROCESS = 'whole process, as a user runs it';

/** A warning when the machine was busy during whole-process runs (their spread is then wide); '' when it was not. */
export function busySentence(cells: readonly Pick<ProcessCell, 'loadAverage'>[], cpus: number): string {
  const load = Math.max(...cells.map((c) => Math.max(c.loadAverage?.start ?? 0, c.loadAverage?.end ?? 0)));
  return load > cpus
    ? `The 1-minute load average reached ${load.toFixed(1)} on ${cpus} CPUs during these runs: other processes competed for the cores, so the spread is wide; the pair-by-pair ratios are the steadier figure.`
    : '';
}

/**
 * What a whole-process table measures, in Markdown-style inline text (`code` spans):
 * bench.md prints it under each filter's table (naming that filter's command), the HTML
 * report renders it under the table of every filter (naming just `tessera run`).
 */
export function processDescription(cell: ProcessCell, tessera = cell.tessera.command): string {
  const st = cell.sharpSettings;
  return (
    `\`${tessera}\` (default strategy and workers) against a sharp script doing the same work (\`${cell.sharp.command}\`, bench/src/process/sharp-run.ts: ` +
    `the sharp peer's operations, PNG ${JSON.stringify(st.png)}, ${st.imagesInFlight} images in flight, sharp.concurrency(${st.concurrency})), ` +
    `each a fresh child process, in turn (tessera, sharp, tessera, …) after ${cell.warmup} warm-up of each. ` +
    "Wall: spawn to exit. CPU: user + system time of the process and its children (sh's `times`, 10 ms ticks). Peak RSS sampled from /proc. " +
    "Ratios are the median (and range) of tessera / sharp taken pair by pair. Verified: tessera's outputs decode bit-identical to the TypeScript reference; sharp's exist as PNGs of the input's size with tessera's channel count."
  );
}

/** What the big case measures, in Markdown-style inline text, for under its table in bench.md and the HTML report. */
export function bigDescription(big: BigCase): string {
  const head = big.sizes[big.sizes.length - 1];
  return (
    `One square image per size: ${big.source}. \`${head.tessera.command}\` against a sharp script (\`${head.sharp.command}\`: ` +
    `\`sharp(file).blur(${big.sigma}).png(${JSON.stringify(big.sharpSettings.png)})\`, sharp.concurrency(${big.sharpSettings.concurrency})), each a fresh child process, in turn, ` +
    `${big.warmup ? `after ${big.warmup} warm-up of each` : 'no warm-up'}; ${countOf(big.pairs, 'timed pair')} at the largest size (the headline), one at the others. ` +
    "Wall: spawn to exit. CPU: user + system (sh's `times`). Peak RSS: the child's high-water mark sampled from /proc. Ratios are tessera / sharp, medians of the pairs. " +
    `Checked on ${head.check.rows} rows across the middle, full width: tessera's output has the input's size and is bit-identical there to the TypeScript reference, ` +
    `and within a mean |Δ| of ${head.check.tolerance} levels of sharp's (a different Gaussian); the column gives the largest mean |Δ| of the pairs.`
  );
}
