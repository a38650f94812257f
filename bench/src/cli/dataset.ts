import { Command } from 'commander';
import { generateSynthDataset } from '../dataset/synth.js';
import { createProgress } from 'tessera/internal/cli/progress';
import { positiveInt } from 'tessera/internal/cli/parse';

/** `tessera dataset synth`. */
export function datasetCommand(): Command {
  const dataset = new Command('dataset').description('make data sets');
  dataset
    .command('synth')
    .description('write a deterministic Kodak-shaped set: 24 RGB PNGs, 768×512 and 512×768, photo-like content')
    .requiredOption('-o, --out <dir>', 'directory to write to (created)')
    .option('-n, --count <n>', 'number of images', positiveInt('--count'), 24)
    .option('--seed <n>', 'seed: the same seed gives byte-identical files', positiveInt('--seed'), 1)
    .action(async (flags: { out: string; count: number; seed: number }) => {
      const started = performance.now();
      const progress = createProgress(flags.count, true);
      let files: string[];
      try {
        files = await generateSynthDataset({ outDir: flags.out, count: flags.count, seed: flags.seed, onImage: (f) => progress.tick(f) });
      } finally {
        progress.stop();
      }
      process.stderr.write(`wrote ${files.length} images to ${flags.out} in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
    });
  return dataset;
}
