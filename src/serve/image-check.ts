/**
 * tessera's verdict on an image file sent by the page: the bytes are written to a
 * private temporary directory under the file's own name and decoded exactly as `tessera
 * run` decodes an input (header checks, the pixel limit, then libvips), so a refusal is
 * the line the CLI prints, naming the file as the user named it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { decodeImage } from '../io/decode.js';
import type { ApiImageCheck } from './api-types.js';

/** A file name safe to create: no directories, no control characters, not empty. */
export function safeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200);
  return clean === '' || clean === '.' || clean === '..' ? 'image' : clean;
}

/**
 * Decodes `bytes` as tessera decodes the file `name`.
 * @param maxPixels tessera run's --max-pixels
 */
export async function checkImageBytes(name: string, bytes: Uint8Array, maxPixels: number): Promise<ApiImageCheck> {
  const shown = safeFileName(name);
  const dir = await mkdtemp(join(tmpdir(), 'tessera-serve-'));
  const file = join(dir, shown);
  try {
    await writeFile(file, bytes);
    const image = await decodeImage(file, maxPixels);
    return { ok: true, width: image.width, height: image.height, format: image.format, hasAlpha: image.hasAlpha };
  } catch (err) {
    // The CLI names the file as given; here that is the name the page sent, not our temporary path.
    return { ok: false, message: errorMessage(err).split(file).join(shown) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
