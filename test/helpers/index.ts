/**
 * Shared test helpers, one module per concern — import the module you need:
 * - images.ts       seeded PRNG, random RGBA, byte-exact comparison (pure)
 * - image-files.ts  raw RGBA ↔ image files through sharp
 * - temp.ts         temporary directories
 * - paths.ts        REPO_ROOT, CLI, FIXTURES
 * - cli.ts          runCli (the built tessera command), buildFilter (AssemblyScript → .wasm)
 * - wat.ts          WebAssembly text → .wasm, the ABI v1 filter template
 * - queue.ts        redis-server, `tessera worker`, Redis key checks
 * - tools.ts        skip locally / fail under CI when a program is missing
 * - browser.ts      a report page in headless Chromium, offline
 * - session.ts      a library Session closed after use
 * This file re-exports the light ones (no sharp, wabt or Redis client) for older imports.
 */
export { firstDifference, randomImage, rng } from './images.js';
export { tempDir, withTempDir } from './temp.js';
export { CLI, FIXTURES, REPO_ROOT } from './paths.js';
export { buildFilter, runCli, type CliOptions, type CliResult } from './cli.js';
export { IN_CI, requireTool } from './tools.js';
