import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';

/** Reports progress of a batch: a bar on a TTY, nothing otherwise (the summary line follows). */
export interface Progress {
  tick(label: string): void;
  /** Shows what the current long item is doing (a big image's bands), without counting an item. */
  note(label: string): void;
  stop(): void;
  /** Prints a line without breaking the bar. */
  log(line: string): void;
}

/**
 * How long a batch runs before its bar appears. A run that ends sooner (one photo, a small
 * folder) prints only its summary — no bar flashing by, and no ~15 ms to load cli-progress.
 */
export const PROGRESS_DELAY_MS = 400;

/** A progress bar on stderr when it is a terminal and `enabled`, drawn once the batch has run {@link PROGRESS_DELAY_MS}. */
export function createProgress(total: number, enabled: boolean): Progress {
  const plain: Progress = { tick() {}, note() {}, stop() {}, log: (line) => process.stderr.write(line + '\n') };
  if (!enabled || !process.stderr.isTTY) return plain;
  let done = 0;
  let label = '';
  let bar: CliProgress.SingleBar | undefined;
  const timer = setTimeout(() => {
    const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
    bar = new cliProgress.SingleBar(
      { format: '{bar} {value}/{total} images | {label}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, done, { label });
  }, PROGRESS_DELAY_MS);
  timer.unref();
  return {
    tick: (name) => {
      done++;
      label = name;
      bar?.increment(1, { label });
    },
    note: (text) => {
      label = text;
      bar?.update(done, { label });
    },
    stop: () => {
      clearTimeout(timer);
      bar?.stop();
    },
    log: (line) => {
      bar?.stop();
      process.stderr.write(line + '\n');
      bar?.start(total, done, { label: '' });
    },
  };
}
