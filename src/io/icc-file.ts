/**
 * ICC profiles as files: libvips converts into a profile and attaches it only from a path
 * (sharp's `withIccProfile`), and a decoded image has its profile as bytes. Each distinct
 * profile is written once per process (a folder of photos shares one or two) into the
 * temporary directory, and removed when the process exits.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnExit } from './cleanup.js';

const written = new Map<string, Promise<string>>();

/** A file holding `profile`, written on first use. */
export function iccProfileFile(profile: Uint8Array): Promise<string> {
  const hash = createHash('sha256').update(profile).digest('hex').slice(0, 32);
  let file = written.get(hash);
  if (!file) {
    const path = join(tmpdir(), `tessera-icc-${process.pid}-${hash}.icc`);
    removeOnExit(path);
    file = writeFile(path, profile).then(() => path);
    file.catch(() => written.delete(hash));
    written.set(hash, file);
  }
  return file;
}
