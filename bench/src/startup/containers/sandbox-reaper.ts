/**
 * Everything the containers bench starts, so that all of it ends: child processes (killed),
 * runc containers (`runc delete --force`, also those a pipe worker's launcher made, found by
 * this process's ID prefix in `runc list`), and temporary directories (removed). `reap()` is
 * synchronous and idempotent; it runs from `finally`, and from SIGINT/SIGTERM and exit handlers
 * while the bench is inside {@link SandboxReaper.guard}.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTAINER_PREFIX, ownPrefix, runcDeleteForce, runcList } from './runc.js';

/** Temporary directories of this bench: `<tmp>/tessera-ct-<pid>-…`. */
export const WORKDIR_PREFIX = CONTAINER_PREFIX;

/** What a teardown could not remove. */
export interface TeardownLeft {
  /** Container IDs of this run still in `runc list`. */
  containers: string[];
  /** Pids of this run's child processes still alive. */
  processes: number[];
}

export class SandboxReaper {
  private readonly children = new Set<ChildProcess>();
  private readonly containers = new Set<string>();
  private readonly dirs = new Set<string>();
  readonly prefix = ownPrefix();

  constructor(private readonly runc?: string) {}

  /** Tracks a child until it exits; a child still running at `reap()` is SIGKILLed. */
  track<T extends ChildProcess>(child: T): T {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Tracks a container ID until {@link forget}; `reap()` deletes it. */
  trackContainer(id: string): void {
    this.containers.add(id);
  }

  forget(id: string): void {
    this.containers.delete(id);
  }

  trackDir(dir: string): void {
    this.dirs.add(dir);
  }

  /** Kills every tracked child, deletes every container of this run, removes the directories; returns what is left. */
  reap(): TeardownLeft {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const containers: string[] = [];
    if (this.runc) {
      let listed: string[] = [];
      try {
        listed = runcList(this.runc).filter((id) => id.startsWith(this.prefix));
      } catch {
        // runc list failed: delete the tracked ones anyway
      }
      for (const id of new Set([...this.containers, ...listed])) runcDeleteForce(this.runc, id);
      this.containers.clear();
      try {
        containers.push(...runcList(this.runc).filter((id) => id.startsWith(this.prefix)));
      } catch {
        // nothing more to learn
      }
    }
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
    const processes = [...this.children].filter((c) => c.exitCode === null && c.signalCode === null && c.pid !== undefined).map((c) => c.pid!);
    return { containers, processes };
  }

  /**
   * Runs `fn` with SIGINT, SIGTERM and exit handlers that reap first (then exit 130 / 143),
   * and reaps when it settles, pass or fail.
   */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    const onSignal = (signal: NodeJS.Signals) => {
      this.reap();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    const onExit = () => this.reap();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('exit', onExit);
    try {
      return await fn();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
      this.reap();
    }
  }
}

/** Removes `<tmp>/tessera-ct-<pid>-…` directories whose pid is gone (a crashed run's rootfs and bundles). */
export function sweepStaleWorkDirs(): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    const m = new RegExp(`^${WORKDIR_PREFIX}(\\d+)-`).exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}
