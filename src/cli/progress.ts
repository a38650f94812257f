import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';

/** Reports progress of a batch: a bar on a TTY, nothing otherwise (the summary line follows). */
export interface Progress {
  tick(label: string): void;
  stop(): void;
  /** Prints a line without breaking the bar. */
  log(line: string): void;
}

/** A progress bar on stderr when it is a terminal and `enabled`. */
export function createProgress(total: number, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) {
    return { tick() {}, stop() {}, log: (line) => process.stderr.write(line + '\n') };
  }
  // Loaded only when a bar is drawn: a piped or --json run never pays for it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    { format: '{bar} {value}/{total} images | {label}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: '' });
  return {
    tick: (label) => bar.increment(1, { label }),
    stop: () => bar.stop(),
    log: (line) => {
      bar.stop();
      process.stderr.write(line + '\n');
      bar.start(total, (bar as unknown as { value: number }).value, { label: '' });
    },
  };
}
