/**
 * The sharp script a user would write to do what `tessera run` does, for the bench's
 * whole-process cells: every image of a folder (or one file) → filter → PNG of the same
 * name in the output folder, with as many images in flight as tessera keeps.
 *
 *   node sharp-run.js <input dir|file> <output dir> <settings JSON>
 *
 * The settings (filter, sigma, PNG options, images in flight, libvips threads, image
 * extensions) come from the bench, which takes them from tessera's own defaults, so this
 * script repeats none of them and loads sharp and nothing else: the process timed is
 * what a user's 15-line sharp script costs. The filter operations are the in-process sharp
 * peer's (`peers/sharp-ops.ts`; `peers/sharp.ts` documents the choices). Exit code 0 when
 * every image was written, 1 otherwise (the first error on stderr).
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type SharpModule from 'sharp';
import { forEachLimit } from '../limit.js';
import { applySharpFilter, type SharpFilterName } from '../peers/sharp-ops.js';

// sharp's CommonJS build, the quickest way to load it on Node 20 (its ES-module build costs
// ~0.15 s more per process): the yardstick is the fastest sharp script, not a typical one.
const sharp = createRequire(import.meta.url)('sharp') as typeof SharpModule;

/** The third argument of the script, as JSON. */
export interface SharpRunSettings {
  filter: SharpFilterName;
  sigma: number;
  /** `sharp().png(options)`: tessera's `ENCODE_OPTIONS.png`. */
  png: { compressionLevel: number; adaptiveFiltering: boolean };
  /** Images in flight: tessera's `DEFAULT_IMAGES_IN_FLIGHT`. */
  imagesInFlight: number;
  /** `sharp.concurrency(n)`, libvips threads per image: tessera's default worker count. */
  concurrency: number;
  /** File extensions read from a folder (lower case, with the dot): tessera's `IMAGE_EXTENSIONS`. */
  extensions: string[];
}

async function main(argv: string[]): Promise<void> {
  if (argv.length !== 3) throw new Error('usage: node sharp-run.js <input dir|file> <output dir> <settings JSON>');
  const [input, output, json] = argv;
  const settings = JSON.parse(json) as SharpRunSettings;
  const path = resolve(input);
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => settings.extensions.includes(extname(f).toLowerCase()))
        .sort()
        .map((f) => join(path, f))
    : [path];
  mkdirSync(output, { recursive: true });
  sharp.concurrency(settings.concurrency);
  await forEachLimit(files, settings.imagesInFlight, async (file) => {
    await applySharpFilter(sharp(file), settings.filter, settings.sigma).png(settings.png).toFile(join(output, basename(file)));
  });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`sharp-run: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
