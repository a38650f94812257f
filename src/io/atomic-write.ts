/**
 * Outputs appear only complete: written under a temporary name in the same directory,
 * then renamed (atomic on one file system), and removed if the process dies first.
 */
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { release, removeOnExit } from './cleanup.js';

/** A temporary name beside `file`, hidden, unique to this process and call. */
export function tempNameFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
}

/**
 * Writes `bytes` to `file` atomically: `write(tmp)` then `rename(tmp, file)`.
 * @throws the file system's error; the temporary file is gone either way
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = tempNameFor(file);
  removeOnExit(tmp);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    release(tmp);
  }
}
