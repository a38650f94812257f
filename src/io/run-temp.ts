/**
 * The one temporary directory of a run, for the files big images stream through
 * (decoded rows, filtered strips). Made on first use in the OS temp dir (`TMPDIR`),
 * removed when the run ends — on success, on failure, and on Ctrl-C.
 */
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, TesseraError } from '../errors.js';
import { release, removeOnExit } from './cleanup.js';

const MiB = 2 ** 20;

/** A run's temporary directory, made when first asked for. */
export class RunTemp {
  private dir: Promise<string> | undefined;
  private next = 0;

  /** A fresh path in the run's directory (made now if it is not yet). */
  async path(name: string): Promise<string> {
    this.dir ??= mkdtemp(join(tmpdir(), 'tessera-')).then((dir) => {
      removeOnExit(dir);
      return dir;
    });
    return join(await this.dir, `${this.next++}-${name}`);
  }

  /**
   * Fails, naming `what`, unless the disk holding the directory has `bytes` free.
   * @throws TesseraError Image
   */
  async ensureSpace(bytes: number, what: string): Promise<void> {
    const dir = await (this.dir ?? this.path('probe').then(() => this.dir!));
    const fs = await statfs(dir);
    const free = fs.bavail * fs.bsize;
    if (free < bytes) {
      throw new TesseraError(
        ErrorCode.Image,
        `${what}: streaming it in bands needs ${Math.ceil(bytes / MiB)} MiB of temporary disk in ${dir}, but only ${Math.floor(free / MiB)} MiB are free (set TMPDIR to a bigger disk)`,
      );
    }
  }

  /** Removes the directory and everything in it. */
  async remove(): Promise<void> {
    if (!this.dir) return;
    const dir = await this.dir.catch(() => undefined);
    this.dir = undefined;
    if (!dir) return;
    await rm(dir, { recursive: true, force: true });
    release(dir);
  }
}

/** Words for a write that failed because the disk is full, naming what was being written. */
export function describeDiskError(err: unknown, what: string): TesseraError | undefined {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || /no space left/i.test((err as Error)?.message ?? '')) {
    return new TesseraError(ErrorCode.Image, `${what}: the temporary disk is full (${tmpdir()}); free space or set TMPDIR to a bigger disk`, { cause: err });
  }
  return undefined;
}
