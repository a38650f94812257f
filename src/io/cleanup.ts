/**
 * Paths to remove if the process exits or is interrupted before their owner removes
 * them: temporary tile directories of the `disk` strategy and output files still being
 * written. On SIGINT/SIGTERM they are removed, then the signal is re-raised (unless the
 * process has handlers of its own) so the process still ends the way the user asked.
 */
import { rmSync } from 'node:fs';

const live = new Set<string>();
let installed = false;

function removeAll(): void {
  for (const path of live) rmSync(path, { recursive: true, force: true });
  live.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', removeAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removeAll();
      // Re-raised only when nobody else handles the signal: a process with its own handler
      // (`tessera worker` finishing its images on SIGTERM) decides what the signal does.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Removes `path` (file or directory) if the process ends before {@link release} is called. */
export function removeOnExit(path: string): void {
  install();
  live.add(path);
}

/** `path` is handled (renamed into place or removed): forget it. */
export function release(path: string): void {
  live.delete(path);
}
