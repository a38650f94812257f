import { Command, InvalidArgumentError } from 'commander';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCode, TesseraError } from '../errors.js';

interface ServeFlags {
  port: number;
  host: string;
  filters?: string;
  isolation: boolean;
}

/** Commander parser for a TCP port, 0 (any free one) included. */
function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw new InvalidArgumentError(`--port expects 0..65535, got "${value}"`);
  return n;
}

/** `tessera serve`: the page that runs the same filters in a browser, until Ctrl-C. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve a page that runs the same filters in your browser, tiled on Web Workers over shared memory')
    .option('--port <n>', 'TCP port (0: any free port)', portNumber, 8080)
    .option('--host <address>', 'address to bind; anything but loopback shows the page to your network', '127.0.0.1')
    .option('--filters <dir>', 'a directory of your own .wasm filters, listed beside the built-ins (each validated as tessera run validates it)')
    .option('--no-isolation', 'leave out the COOP/COEP headers: the page is not cross-origin isolated and runs the copy strategy (a private memory per worker)')
    .addHelpText('after', '\nExample:\n  $ tessera serve --filters my-filters        then open http://127.0.0.1:8080/')
    .action(async (flags: ServeFlags) => {
      if (flags.filters !== undefined && !statSync(flags.filters, { throwIfNoEntry: false })?.isDirectory()) {
        throw new TesseraError(ErrorCode.Usage, `--filters ${flags.filters}: no such directory`);
      }
      const { startServer } = await import('../serve/server.js');
      const server = await startServer({ port: flags.port, host: flags.host, filtersDir: flags.filters && resolve(flags.filters), isolation: flags.isolation });
      const mode = flags.isolation ? 'cross-origin isolated: tiles share memory (shared)' : 'not isolated (--no-isolation): tiles are copied (copy)';
      process.stdout.write(`tessera serve: ${server.url} — ${mode}; Ctrl-C to stop\n`);
      await new Promise<void>((done) => {
        const stop = () => void server.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
