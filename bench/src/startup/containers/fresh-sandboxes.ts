/**
 * A fresh sandbox per tile: the same one-frame run at three levels of isolation — a plain Node
 * filter process, that process in a fresh bwrap sandbox, and in a fresh runc container — each
 * the WASI command form on one 256×256 frame, timed from spawn to exit. The first start of a
 * level is its cold start (its binaries may still have to be read); the rest are warm.
 */
import type { IsolationCost } from '../types.js';
import { median, quantile } from '../../stats.js';
import { runOneFrame, type FrameRun, type IsolationTile } from '../isolation-tile.js';
import { bwrapCommand } from './bwrap.js';
import { FILTER_PROCESS_ENV, filterProcessArgv, type SandboxFile } from './filter-process-files.js';
import type { OciBundle } from './oci-bundle.js';
import { runcDeleteForce, type ContainerIds } from './runc.js';
import type { SandboxReaper } from './sandbox-reaper.js';

/** Starts one fresh sandbox, runs the tile's frame in it and tears it down. */
export type FreshSandbox = (tile: IsolationTile) => Promise<FrameRun>;

/** A plain filter process, as the `pipe` strategy starts one, on one frame (a process per tile, as `disk` pays), with the sandboxes' environment. */
export function freshProcess(commandPath: string, reaper?: SandboxReaper): FreshSandbox {
  const [command, ...args] = filterProcessArgv(commandPath);
  return (tile) => runOneFrame(tile, { command, args, env: FILTER_PROCESS_ENV, what: 'fresh filter process', onSpawn: (c) => reaper?.track(c) });
}

/** The filter process in a fresh bwrap sandbox (see bwrap.ts). */
export function freshBwrap(bwrap: string, files: readonly SandboxFile[], commandPath: string, reaper: SandboxReaper): FreshSandbox {
  const [command, ...args] = [...bwrapCommand(files, bwrap), ...filterProcessArgv(commandPath)];
  return (tile) => runOneFrame(tile, { command, args, env: FILTER_PROCESS_ENV, what: 'fresh bwrap sandbox', onSpawn: (c) => reaper.track(c) });
}

/**
 * The filter process as a fresh runc container: its bundle written, `runc run --bundle DIR ID`
 * timed to its exit (runc removes a foreground container as it exits), then — untimed, always,
 * also after a failure — `runc delete --force ID` and the bundle removed.
 */
export function freshContainer(runc: string, bundle: OciBundle, ids: ContainerIds, commandPath: string, reaper: SandboxReaper): FreshSandbox {
  const argv = filterProcessArgv(commandPath);
  return async (tile) => {
    const id = ids.next('start');
    reaper.trackContainer(id);
    const dir = bundle.writeBundle(id, argv);
    try {
      return await runOneFrame(tile, { command: runc, args: ['run', '--bundle', dir, id], env: FILTER_PROCESS_ENV, what: `runc container ${id}`, onSpawn: (c) => reaper.track(c) });
    } finally {
      runcDeleteForce(runc, id);
      bundle.removeBundle(id);
      reaper.forget(id);
    }
  };
}

/** Options of {@link measureFreshLevel}. */
export interface FreshLevelOptions {
  /** Warm starts timed after the cold one. */
  count: number;
  /** Stop starting more once this much time has gone (the samples so far are reported). @defaultValue 120000 */
  budgetMs?: number;
  /** The pooled instance's output of the same tile: every start's output must equal it. */
  expected: Uint8Array;
}

/** Times `count` warm starts of `level` after one cold start; `samples` says how many fit the time budget. */
export async function measureFreshLevel(level: IsolationCost['level'], start: FreshSandbox, tile: IsolationTile, options: FreshLevelOptions): Promise<IsolationCost> {
  const deadline = performance.now() + (options.budgetMs ?? 120_000);
  const same = (r: FrameRun) => Buffer.from(r.pixels.buffer, r.pixels.byteOffset, r.pixels.length).equals(options.expected);
  const cold = await start(tile);
  let verified = same(cold);
  const samples: number[] = [];
  for (let i = 0; i < options.count && performance.now() < deadline; i++) {
    const run = await start(tile);
    verified &&= same(run);
    samples.push(run.ms);
  }
  return { level, samples: samples.length, medianMs: median(samples), p99Ms: quantile(samples, 0.99), coldMs: cold.ms, verified };
}
