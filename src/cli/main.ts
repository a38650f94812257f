#!/usr/bin/env node
/**
 * The `tessera` command: a thin layer over the library API. User errors print one
 * line (no stack) and exit 2; failed images exit 1.
 *
 * Start-up is the first thing a user times, so only the command being run is loaded:
 * `tessera --help` loads commander and nothing else, `tessera run` never loads the
 * queue client or the bench, and the measurement commands come from the separate
 * `tessera-bench` package.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { ErrorCode, TesseraError, errorMessage, exitCodeOf } from '../errors.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

/** A subcommand known by name and summary; its module is imported only when it runs. */
interface LazyCommand {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

/** A command module of the `tessera-bench` package; a clear error when it is not installed (tessera from npm without its bench). */
async function benchModule<T>(specifier: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !errorMessage(err).includes('tessera-bench')) throw err;
    throw new TesseraError(
      ErrorCode.Usage,
      'the bench, report and dataset commands come with the tessera-bench package, which is not installed. Possible solutions:\n' +
        '- in a clone of the repository: npm install (it installs the bench workspace too)\n' +
        '- elsewhere: npm install tessera-bench',
    );
  }
}

const COMMANDS: readonly LazyCommand[] = [
  { name: 'run', summary: 'filter images tile by tile in WebAssembly', load: async () => (await import('./run.js')).runCommand() },
  { name: 'filters', summary: 'list, describe and check filters', load: async () => (await import('./filters.js')).filtersCommand() },
  {
    name: 'bench',
    summary: 'measure the strategy ladder against native libvips and other peers (`bench startup`: sandbox start-up and density)',
    load: async () => (await benchModule<{ benchCommand(): Command }>('tessera-bench/cli/bench')).benchCommand(),
  },
  {
    name: 'report',
    summary: 'rebuild the self-contained HTML report from saved results',
    load: async () => (await benchModule<{ reportCommand(): Command }>('tessera-bench/cli/report')).reportCommand(),
  },
  {
    name: 'dataset',
    summary: 'make data sets (`dataset synth`: a Kodak-shaped set)',
    load: async () => (await benchModule<{ datasetCommand(): Command }>('tessera-bench/cli/dataset')).datasetCommand(),
  },
  { name: 'serve', summary: 'serve a page that runs the same filters in a browser (Web Workers, shared memory)', load: async () => (await import('./serve.js')).serveCommand() },
  {
    name: 'worker',
    summary: 'filter images for `tessera run --backend queue` coordinators on the same Redis, until stopped',
    load: async () => (await import('./worker.js')).workerCommand(),
  },
];

/** The subcommand asked for, if any: the first argument that is not an option (`help run` asks for run). */
function requestedCommand(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

async function program(args: readonly string[]): Promise<Command> {
  const root = new Command('tessera')
    .description('Tiled image filters in WebAssembly — fast, sandboxed, and measured against native libvips.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .addHelpText(
      'after',
      `
Start here:
  $ tessera filters                                  what filters exist, their params
  $ tessera dataset synth --out photos               a Kodak-shaped test set
  $ tessera run --filter gaussian-blur --param sigma=2 --input photos --output out
  $ tessera serve                                    the same filters in your browser
  $ tessera bench                                    the strategy ladder and the peers, measured`,
    );
  const asked = requestedCommand(args);
  for (const c of COMMANDS) {
    // The others are listed by name and summary only; they never run in this process.
    root.addCommand(c.name === asked ? await c.load() : new Command(c.name).description(c.summary));
  }
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    for (const sub of cmd.commands) exitOverride(sub);
  };
  exitOverride(root);
  return root;
}

async function main(argv: string[]): Promise<void> {
  try {
    await (await program(argv.slice(2))).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every parsing error is a usage error.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`tessera: ${errorMessage(err)}\n`);
    process.exitCode = exitCodeOf(err);
  }
}

// `tessera filters | head` closes the pipe early: end quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

await main(process.argv);
