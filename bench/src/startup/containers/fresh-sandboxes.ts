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

/** One level to time: its name, how it starts, how many warm starts. */
export interface FreshLevel {
  level: IsolationCost['level'];
  start: FreshSandbox;
  /** Warm starts timed after the cold one. */
  count: number;
}

/** Options of {@link measureFreshLevels}. */
export interface FreshLevelOptions {
  /** Stop starting more once this much time has gone (the samples so far are reported). @defaultValue 180000 */
  budgetMs?: number;
  /** The pooled instance's output of the same tile: every start's output must equal it. */
  expected: Uint8Array;
}

/**
 * Times each level's cold start, then its warm starts in interleaved rounds (one start of each
 * level per round, while it has starts left), so that a load spike on this shared machine hits
 * every level alike rather than whichever ran during it. `samples` says how many fit the budget.
 */
export async function measureFreshLevels(levels: readonly FreshLevel[], tile: IsolationTile, options: FreshLevelOptions): Promise<IsolationCost[]> {
  const deadline = performance.now() + (options.budgetMs ?? 180_000);
  const same = (r: FrameRun) => Buffer.from(r.pixels.buffer, r.pixels.byteOffset, r.pixels.length).equals(options.expected);
  const state = [];
  for (const l of levels) {
    const cold = await l.start(tile);
    state.push({ ...l, coldMs: cold.ms, verified: same(cold), samples: [] as number[] });
  }
  const rounds = Math.max(0, ...levels.map((l) => l.count));
  for (let i = 0; i < rounds && performance.now() < deadline; i++) {
    for (const l of state) {
      if (i >= l.count) continue;
      const run = await l.start(tile);
      l.verified &&= same(run);
      l.samples.push(run.ms);
    }
  }
  return state.map((l) => ({ level: l.level, samples: l.samples.length, medianMs: median(l.samples), p99Ms: quantile(l.samples, 0.99), coldMs: l.coldMs, verified: l.verified }));
}
