#!/usr/bin/env node
/**
 * Runs one suite of the built tests: `node test/run.mjs unit` or `node test/run.mjs integration`
 * (more arguments go to `node --test`, e.g. --test-name-pattern=seams).
 *
 * The files are named one by one because `node --test` reads its arguments differently
 * by version: Node 20 searches a directory but takes no glob ("Could not find
 * 'dist/test/unit/**\/*.test.js'"), Node 22 expands a glob but runs a directory as a file.
 * The list comes from the sources, test/<suite>/**\/*.test.ts, each of which must have
 * been built to dist/test/<suite>/; a test deleted from the sources but still in dist/ is
 * not run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Per-test deadline: a hang guard far beyond the slowest test of the suite, not a speed check. */
const TIMEOUT_MS = { unit: 60_000, integration: 300_000 };

const [suite, ...extra] = process.argv.slice(2);
if (!(suite in TIMEOUT_MS)) {
  console.error(`usage: node test/run.mjs ${Object.keys(TIMEOUT_MS).join('|')} [node --test options]`);
  process.exit(2);
}

const sources = readdirSync(join(root, 'test', suite), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .sort();
const files = sources.map((f) => join(root, 'dist/test', suite, f.replace(/\.ts$/, '.js')));
const missing = files.filter((f) => !existsSync(f));
if (sources.length === 0 || missing.length > 0) {
  console.error(sources.length === 0 ? `no test files in test/${suite}/` : `not built: ${missing.map((f) => relative(root, f)).join(', ')} (npm run build)`);
  process.exit(1);
}
console.log(`# ${suite}: ${files.length} test files`);
// Unit tests run with test/unit-guard.cjs: one that starts a process, a thread or a connection fails.
const guard = suite === 'unit' ? ['--require', join(root, 'test/unit-guard.cjs')] : [];
const r = spawnSync(process.execPath, [...guard, '--test', '--test-reporter=spec', `--test-timeout=${TIMEOUT_MS[suite]}`, ...extra, ...files], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
