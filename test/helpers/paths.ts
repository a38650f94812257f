/** Where things are: the repository root, the built CLI, the fixtures (tests run from dist/test/<kind>/). */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The built `tessera` command. */
export const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');
/** test/fixtures/ (sources, not dist: see test/fixtures/README.md). */
export const FIXTURES = join(REPO_ROOT, 'test/fixtures');
