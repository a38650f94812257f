/** The tessera under test, as this package resolves it: its CLI script and its version. */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The `tessera` command's script, for cells that time it as a whole process. */
export const TESSERA_CLI = fileURLToPath(import.meta.resolve('tessera/internal/cli/main'));

/** tessera's package version, recorded in every report. */
export const TESSERA_VERSION = (createRequire(import.meta.url)('tessera/package.json') as { version: string }).version;
