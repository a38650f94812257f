/**
 * The C and Rust toolchains the example filters build with (Debian packages only), and the
 * build helper that turns a source into tessera's three forms. Locally a missing toolchain
 * skips its tests with what to install; under CI it fails them (see tools.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { requireTool } from './tools.js';

/** What to install for both: clang and wasm-ld for C, rustc with Debian's wasm32 core and its linker for Rust. */
export const TOOLCHAIN_INSTALL = 'apt-get install clang lld rustc libstd-rust-dev-wasm32 lld-14';

/** Always Debian's rustc: a rustup one earlier on PATH has no wasm32 target here. */
export const RUSTC = '/usr/bin/rustc';

/**
 * The environment to run clang in: PATH without npm's node_modules/.bin, as the build helper
 * does — clang runs binaryen's wasm-opt when one is on PATH, and under `npm test` AssemblyScript's is.
 */
export function compilerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: (process.env.PATH ?? '').split(delimiter).filter((d) => !/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(d)).join(delimiter) };
}

function runs(program: string, args: string[]): boolean {
  return spawnSync(program, args, { stdio: 'ignore' }).status === 0;
}

/** clang that targets wasm32, and wasm-ld to link it. */
export const HAVE_CLANG = runs('clang', ['--version']) && runs('wasm-ld', ['--version']);

/** /usr/bin/rustc with the wasm32-unknown-unknown core (libstd-rust-dev-wasm32) and rust-lld (lld-14). */
export const HAVE_RUST =
  existsSync(RUSTC) && existsSync('/usr/lib/rustlib/wasm32-unknown-unknown/lib') && runs('rust-lld', ['-flavor', 'wasm', '--version']);

/** The `skip` option for tests that need clang. */
export function requireClang(): false | string {
  return requireTool('clang and wasm-ld', HAVE_CLANG, TOOLCHAIN_INSTALL);
}

/** The `skip` option for tests that need Rust for wasm32. */
export function requireRust(): false | string {
  return requireTool('rustc for wasm32 (libstd-rust-dev-wasm32, lld-14)', HAVE_RUST, TOOLCHAIN_INSTALL);
}

/** The build helper for C and Rust filters. */
export const BUILD_NATIVE_FILTER = join(REPO_ROOT, 'scripts/build-native-filter.mjs');

/**
 * Builds a C or Rust filter source (its manifest beside it, unless `--manifest` is in
 * `args`) with scripts/build-native-filter.mjs into `outDir`.
 * @returns the helper's summary line
 * @throws Error with the helper's stderr when the build fails
 */
export function buildNativeFilter(source: string, outDir: string, args: string[] = []): string {
  return execFileSync(process.execPath, [BUILD_NATIVE_FILTER, '--src', source, '--out', outDir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the build helper and returns its exit code and stderr, for builds that must fail. */
export function buildNativeFilterOutcome(source: string, outDir: string, args: string[] = []): { code: number; stderr: string } {
  const r = spawnSync(process.execPath, [BUILD_NATIVE_FILTER, '--src', source, '--out', outDir, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr };
}
