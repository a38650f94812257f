#!/usr/bin/env node
/**
 * The `tessera` command: a thin layer over the library API. User errors print one
 * line (no stack) and exit 2; failed images exit 1.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { errorMessage, isUsageError } from '../errors.js';
import { benchCommand } from './bench.js';
import { reportCommand } from './report.js';
import { datasetCommand } from './dataset.js';
import { filtersCommand } from './filters.js';
import { runCommand } from './run.js';
import { workerCommand } from './worker.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

function program(): Command {
  const root = new Command('tessera')
    .description('Tiled image filters in WebAssembly — fast, sandboxed, and measured against native libvips.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .addCommand(runCommand())
    .addCommand(filtersCommand())
    .addCommand(benchCommand())
    .addCommand(reportCommand())
    .addCommand(datasetCommand())
    .addCommand(workerCommand())
    .addHelpText(
      'after',
      `
Start here:
  $ tessera filters                                  what filters exist, their params
  $ tessera dataset synth --out photos               a Kodak-shaped test set
  $ tessera run --filter gaussian-blur --param sigma=2 --input photos --output out
  $ tessera bench                                    the strategy ladder and the peers, measured`,
    );
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    for (const sub of cmd.commands) exitOverride(sub);
  };
  exitOverride(root);
  return root;
}

async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every parsing error is a usage error.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`tessera: ${errorMessage(err)}\n`);
    process.exitCode = isUsageError(err) ? 2 : 1;
  }
}

await main(process.argv);
