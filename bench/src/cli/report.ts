import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { StartupReport } from '../startup/types.js';
import type { BenchReport } from '../types.js';
import { ErrorCode, TesseraError } from 'tessera/internal/errors';
import { writeHtmlReport } from '../report/html-report.js';

function readJson<T>(file: string, what: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new TesseraError(ErrorCode.Input, `cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** `tessera report`. */
export function reportCommand(): Command {
  return new Command('report')
    .description('rebuild the self-contained HTML report from saved results')
    .argument('<bench.json>', 'results of `tessera bench`')
    .argument('[startup.json]', 'results of `tessera bench startup`')
    .option('-o, --out <file>', 'the HTML file to write', 'report.html')
    .action(async (benchFile: string, startupFile: string | undefined, flags: { out: string }) => {
      const bench = readJson<BenchReport>(benchFile, 'bench results');
      const startup = startupFile ? readJson<StartupReport>(startupFile, 'start-up results') : undefined;
      process.stderr.write(`wrote ${await writeHtmlReport(bench, flags.out, startup)}\n`);
    });
}
