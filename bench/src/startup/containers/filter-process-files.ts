/**
 * What a filter process needs to run, as files: the Node binary and the shared libraries it
 * links, tessera's filter-process script with the modules it imports, the package.json that
 * makes them ES modules, and the filter's WASI command form. The bwrap sandbox binds exactly
 * these read-only; the container's root filesystem is a copy of them. Each keeps its host path,
 * so the filter process's argv is the same inside a sandbox as outside.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { WASI_PROCESS_FLAGS, WASI_PROCESS_SCRIPT } from 'tessera/internal/strategies/process/child-process';
import { ErrorCode, TesseraError } from 'tessera/internal/errors';

/** One file a sandbox must see: at `path` inside it, with the bytes of `source` (a real file, links resolved). */
export interface SandboxFile {
  path: string;
  source: string;
  bytes: number;
  /** What it is for, as the report lists the root filesystem. */
  role: 'node' | 'shared library' | 'runner' | 'filter';
}

/**
 * The environment every fresh filter process gets here, sandboxed or not: PATH only. The
 * machine's own may hold NODE_EXTRA_CA_CERTS or NODE_OPTIONS, which change what a Node
 * start costs (loading a CA bundle) and could not be honoured inside a sandbox anyway.
 */
export const FILTER_PROCESS_ENV: Readonly<Record<string, string>> = { PATH: '/usr/local/bin:/usr/bin:/bin' };

/** The argv of a filter process in pipe mode, the same one the `pipe` strategy spawns. */
export function filterProcessArgv(commandPath: string): string[] {
  return [process.execPath, ...WASI_PROCESS_FLAGS, WASI_PROCESS_SCRIPT, commandPath];
}

const fileOf = (path: string, role: SandboxFile['role']): SandboxFile => {
  const source = realpathSync(path);
  return { path, source, bytes: statSync(source).size, role };
};

/** The shared libraries `ldd` lists for `binary`, the ELF interpreter included (none for a static binary). */
export function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (err) {
    const text = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    if (/not a dynamic executable|statically linked/.test(text)) return [];
    throw new TesseraError(ErrorCode.MissingTool, `cannot list the shared libraries of ${binary} with ldd: ${(err as Error).message}\nPossible solutions:\n  apt-get install libc-bin`);
  }
  // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)"; the vDSO has no path.
  const paths = [...out.matchAll(/(?:=>\s*)?(\/[^\s]+)\s+\(0x/g)].map((m) => m[1]);
  return [...new Set(paths)];
}

/**
 * The modules a script imports statically, relative ones only, transitively (`node:` builtins
 * need no file). Dynamic `import()` is left out on purpose: in pipe mode the filter process never
 * reaches its disk-mode import of sharp.
 */
export function staticImportClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) visit(resolve(dirname(file), m[1]));
    for (const m of text.matchAll(/^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) visit(resolve(dirname(file), m[1]));
  };
  visit(entry);
  return [...seen];
}

/** The nearest package.json above `file` (it tells Node whether `.js` is an ES module). */
function nearestPackageJson(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${file}: Node would not load it as an ES module`);
  }
}

/**
 * Every file a filter process running `commandPath` (a `.wasi.wasm`) opens, in a stable order.
 * @throws TesseraError MissingTool when `ldd` is missing
 */
export function filterProcessFiles(commandPath: string): SandboxFile[] {
  if (!existsSync(commandPath)) throw new TesseraError(ErrorCode.FilterNotFound, `no WASI command form at ${commandPath} (npm run build makes the built-ins' .wasi.wasm)`);
  const runner = [...staticImportClosure(WASI_PROCESS_SCRIPT), nearestPackageJson(WASI_PROCESS_SCRIPT)];
  return [
    fileOf(process.execPath, 'node'),
    ...sharedLibraries(process.execPath).map((p) => fileOf(p, 'shared library')),
    ...runner.map((p) => fileOf(p, 'runner')),
    fileOf(commandPath, 'filter'),
  ];
}
