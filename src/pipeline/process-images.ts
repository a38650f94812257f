import { listInputs, prepareOutputDir } from '../io/inputs.js';
import { Session, type RunOptions, type RunSummary, type SessionOptions } from './session.js';

/** Options of {@link processImages}. */
export interface ProcessImagesOptions extends SessionOptions, RunOptions {
  /** An image file or a directory of images (PNG, JPEG, WebP; not recursive). */
  input: string;
  /** Output directory, created if missing; must not be the input directory or inside it. Outputs keep the input file names. */
  output: string;
}

/**
 * Filters every image of `input` tile by tile in WebAssembly and writes the results to `output`.
 * A bad image never stops the run: it is reported in `results[].error` and counted in `failed`.
 * @example
 * const summary = await processImages({ filter: 'gaussian-blur', params: { sigma: 2 }, input: 'photos', output: 'out' });
 * console.log(`${summary.succeeded} images, ${summary.mpxPerS.toFixed(1)} Mpx/s`);
 * @throws TesseraError for bad options (unknown filter or param, missing input, output inside input)
 */
export async function processImages(options: ProcessImagesOptions): Promise<RunSummary> {
  const { files, root, rootIsDirectory } = listInputs(options.input);
  const outDir = prepareOutputDir(options.output, root, rootIsDirectory);
  const session = new Session(options);
  try {
    return await session.run(files, outDir, options);
  } finally {
    await session.close();
  }
}
