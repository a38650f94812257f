/**
 * Containers beside WebAssembly (issue 17), measured on the filter and tile of the start-up
 * bench's other isolation levels: a fresh bwrap sandbox and a fresh runc container per tile,
 * what N idle sandboxes of each kind hold in memory, what a container ships against the
 * filter's .wasm, and the `pipe` strategy with one long-lived container per worker beside
 * plain `pipe`. Linux; runc needs root. What a missing tool stops is skipped and said so.
 *
 * Everything started is tracked by a {@link SandboxReaper}: killed and deleted at the end, on
 * an error and on Ctrl-C; containers and temporary directories are named `tessera-ct-<pid>-…`,
 * and those of a run that died before its teardown are removed at the next start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { BUILTIN_FILTER_DIR } from 'tessera/internal/filter/artifacts';
import { findOnPath } from '../../cluster/host.js';
import type { IsolationCost } from '../types.js';
import type { IsolationTile } from '../isolation-tile.js';
import { bwrapCommand } from './bwrap.js';
import { filterProcessArgv, filterProcessFiles, type SandboxFile } from './filter-process-files.js';
import { freshBwrap, freshContainer, freshProcess, measureFreshLevels, type FreshLevel } from './fresh-sandboxes.js';
import { measureHoldingCosts, type SandboxRuntimes } from './holding-cost.js';
import { OciBundle } from './oci-bundle.js';
import { packOciArchive } from './oci-image.js';
import { measurePipeThroughput } from './pipe-throughput.js';
import { descendants } from './proc-memory.js';
import { ContainerIds, runcList, sweepStaleContainers } from './runc.js';
import { SandboxReaper, sweepStaleWorkDirs } from './sandbox-reaper.js';
import type { ContainerArtifacts, ContainersReport } from './types.js';

const RUNC_LAUNCHER = fileURLToPath(new URL('./runc-launcher.js', import.meta.url));

/** Options of {@link measureContainers}. */
export interface ContainerOptions {
  /** The isolation filter (a built-in) and its tile, and the pooled instance's output of that tile. */
  filter: string;
  tile: IsolationTile;
  expected: Uint8Array;
  /** Warm fresh starts per container level, after one cold start. @defaultValue 40 */
  starts?: number;
  /** Also time the plain fresh-process level, interleaved with the container levels, this many warm starts (its figure then comes from here). */
  processStarts?: number;
  /** Idle sandboxes of each process kind held at once. @defaultValue 10 */
  idle?: number;
  /** Idle instances held in one process. @defaultValue 1000 */
  instances?: number;
  /** Also time `pipe` with a container per worker on the bench's images. @defaultValue true */
  pipe?: boolean;
  /** Images of the bench's set for the pipe rows. @defaultValue all 24 */
  pipeImages?: number;
  /** Timed rounds of the pipe rows. @defaultValue 5 */
  pipeRounds?: number;
  onStep?: (label: string) => void;
}

/** The container levels for the isolation table, and everything else for startup.json's `containers`. */
export interface ContainerResults {
  levels: IsolationCost[];
  report: ContainersReport;
}

function version(tool: string): string | undefined {
  try {
    return execFileSync(tool, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

/** What stops runc and bwrap here, each with the fix; the tools found. */
function findRuntimes(): { runc?: string; bwrap?: string; skipped: string[] } {
  const skipped: string[] = [];
  if (process.platform !== 'linux') return { skipped: [`containers need Linux (this is ${process.platform}): no runc or bwrap rows`] };
  let runc = findOnPath('runc');
  const bwrap = findOnPath('bwrap');
  if (!runc) skipped.push('runc rows not measured: runc is not installed (apt-get install runc)');
  else if (process.getuid?.() !== 0) {
    skipped.push('runc rows not measured: runc needs root here (run `sudo npx tessera bench startup`)');
    runc = undefined;
  }
  if (!bwrap) skipped.push('bwrap rows not measured: bubblewrap is not installed (apt-get install bubblewrap)');
  return { runc, bwrap, skipped };
}

function artifactSizes(files: readonly SandboxFile[], filter: string, image: Awaited<ReturnType<typeof packOciArchive>>): ContainerArtifacts {
  const roles = [...new Set(files.map((f) => f.role))];
  const wasm = readFileSync(join(BUILTIN_FILTER_DIR, `${filter}.wasm`));
  const wasi = readFileSync(join(BUILTIN_FILTER_DIR, `${filter}.wasi.wasm`));
  return {
    rootfs: {
      bytes: files.reduce((s, f) => s + f.bytes, 0),
      files: files.length,
      parts: roles.map((role) => ({ role, files: files.filter((f) => f.role === role).length, bytes: files.filter((f) => f.role === role).reduce((s, f) => s + f.bytes, 0) })),
    },
    image: { bytes: image.bytes, layerBytes: image.layerBytes, layerTarBytes: image.layerTarBytes, contents: image.contents },
    filter: { name: filter, wasmBytes: wasm.length, wasmGzipBytes: gzipSync(wasm, { level: 9 }).length, wasiBytes: wasi.length, wasiGzipBytes: gzipSync(wasi, { level: 9 }).length },
  };
}

/** After a teardown: waits (up to 3 s) for this process's children to go; what is still there (any process below this one counts). */
async function teardownLeft(reaper: SandboxReaper, runc: string | undefined): Promise<{ containers: string[]; processes: number[] }> {
  const ours = () => descendants();
  for (let i = 0; i < 60 && ours().length; i++) await sleep(50);
  let containers: string[] = [];
  try {
    containers = runc ? runcList(runc).filter((id) => id.startsWith(reaper.prefix)) : [];
  } catch {
    // runc list failed: nothing to report
  }
  return { containers, processes: ours().map((p) => p.pid) };
}

/**
 * Measures every container figure this machine allows (see the module comment).
 * @throws Error when a sandbox fails to run the tile or to become idle
 */
export async function measureContainers(options: ContainerOptions): Promise<ContainerResults> {
  const step = options.onStep ?? (() => {});
  const { runc, bwrap, skipped } = findRuntimes();
  const commandPath = join(BUILTIN_FILTER_DIR, `${options.filter}.wasi.wasm`);
  const reaper = new SandboxReaper(runc);
  const staleSwept = [...(runc ? sweepStaleContainers(runc) : []), ...sweepStaleWorkDirs()];
  const levels: IsolationCost[] = [];
  const report: ContainersReport = { filter: options.filter, runtimes: { runc: runc && version(runc), bwrap: bwrap && version(bwrap) }, holding: [], skipped, teardown: { containers: [], processes: [], staleSwept } };
  if (!runc && !bwrap) return { levels, report };
  await reaper.guard(async () => {
    const work = mkdtempSync(join(tmpdir(), reaper.prefix));
    reaper.trackDir(work);
    const files = filterProcessFiles(commandPath);
    const ids = new ContainerIds(reaper.prefix);
    step(runc ? `containers: building the rootfs and config.json in ${work}` : 'containers: listing what a filter process needs');
    const bundle = runc ? new OciBundle(join(work, 'bundle'), files, runc) : undefined;
    const starts = options.starts ?? 40;
    const fresh: FreshLevel[] = [
      ...(options.processStarts ? [{ level: 'process' as const, start: freshProcess(commandPath, reaper), count: options.processStarts }] : []),
      ...(bwrap ? [{ level: 'bwrap' as const, start: freshBwrap(bwrap, files, commandPath, reaper), count: starts }] : []),
      ...(runc && bundle ? [{ level: 'runc' as const, start: freshContainer(runc, bundle, ids, commandPath, reaper), count: starts }] : []),
    ];
    step(`isolation: a fresh ${fresh.map((l) => l.level).join(', a fresh ')} per tile, interleaved (${starts} each + 1 cold)`);
    levels.push(...(await measureFreshLevels(fresh, options.tile, { expected: options.expected })));
    const runtimes: SandboxRuntimes = { ...(runc && bundle ? { runc: { runc, bundle, ids } } : {}), ...(bwrap ? { bwrap: { bwrap, files } } : {}) };
    report.holding = await measureHoldingCosts({
      sandboxes: options.idle ?? 10,
      instances: options.instances ?? 1000,
      commandPath,
      wasmPath: join(BUILTIN_FILTER_DIR, `${options.filter}.wasm`),
      runtimes,
      reaper,
      onStep: step,
    });
    if (bundle) {
      step('artifacts: packing the container rootfs as an OCI image archive');
      const tar = findOnPath('tar');
      if (tar) report.artifacts = artifactSizes(files, options.filter, await packOciArchive(bundle, filterProcessArgv(commandPath), join(work, `${basename(work)}.oci.tar`), tar));
      else skipped.push('container image size not measured: tar is not installed (apt-get install tar)');
    } else skipped.push('container rootfs and image sizes not measured: they are built with runc (see above)');
    if (options.pipe !== false) {
      const launchers = {
        ...(bwrap ? { bwrap: bwrapCommand(files, bwrap) } : {}),
        ...(runc && bundle
          ? { runc: [process.execPath, RUNC_LAUNCHER, '--runc', runc, '--template', bundle.writeTemplate(), '--bundles', bundle.bundleDir, '--id-prefix', `${reaper.prefix}pipe`, '--'] }
          : {}),
      };
      report.pipe = await measurePipeThroughput({
        filter: options.filter,
        launchers,
        images: options.pipeImages,
        rounds: options.pipeRounds ?? 5,
        workers: availableParallelism(),
        scratch: join(work, 'pipe'),
        onStep: step,
      });
    }
  });
  const left = await teardownLeft(reaper, runc);
  report.teardown = { ...left, staleSwept };
  return { levels, report };
}
