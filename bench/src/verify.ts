/**
 * How the bench checks outputs: decode every output file of a run and compare its
 * pixels bit for bit with what is expected (tessera: the TypeScript reference filters;
 * peers: their own first run). In-process and whole-process cells use the same check.
 */
import { basename, join } from 'node:path';
import { decodeImage } from 'tessera/internal/io/decode';

/** Whether two byte arrays hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** Decodes the output of every input in `files` (same file name, in `outDir`) to RGBA8; a missing or unreadable output is left out. */
export async function readOutputs(outDir: string, files: string[]): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  await Promise.all(
    files.map(async (f) => {
      try {
        out.set(f, (await decodeImage(join(outDir, basename(f)))).data);
      } catch {
        // A missing or unreadable output makes the cell unverified.
      }
    }),
  );
  return out;
}

/** Every file of `files` has an output and it equals the expected pixels. */
export function allEqual(actual: Map<string, Uint8Array>, expected: Map<string, Uint8Array>, files: string[]): boolean {
  return files.every((f) => {
    const a = actual.get(f);
    const e = expected.get(f);
    return a !== undefined && e !== undefined && equalBytes(a, e);
  });
}

/** Decodes the outputs of a run in `outDir` and compares them with `expected`. */
export async function outputsMatch(outDir: string, files: string[], expected: Map<string, Uint8Array>): Promise<boolean> {
  return allEqual(await readOutputs(outDir, files), expected, files);
}
