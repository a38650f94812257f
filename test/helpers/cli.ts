/** The `tessera` command as a child process, and the AssemblyScript filter build script. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from './paths.js';

export { CLI, REPO_ROOT } from './paths.js';

/** What a finished `tessera` process left. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
}

export interface CliOptions {
  /**
   * Hang guard, not a speed check: the process is killed and the promise rejects when it
   * has not exited by then. Default 60 s, far beyond any command the tests run.
   */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Called with the child as soon as it is spawned (to signal it mid-run). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs the built tessera CLI; resolves with its exit code and output. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tessera ${args.join(' ')} hung: still running after ${timeoutMs / 1000} s, killed\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, signal });
    });
  });
}

/** Builds an AssemblyScript filter source (and its manifest beside it) with scripts/build-filters.mjs into `outDir`. */
export function buildFilter(source: string, outDir: string): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/build-filters.mjs'), '--src', source, '--out', outDir]);
}
