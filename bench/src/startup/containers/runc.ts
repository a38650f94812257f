/**
 * runc as the start-up bench uses it: container IDs that say whose they are, `runc delete
 * --force`, and `runc list`. Synchronous on purpose: teardown runs from signal handlers and
 * `process.on('exit')`, where nothing asynchronous completes.
 */
import { execFileSync } from 'node:child_process';

/** Every container and temporary directory of the containers bench starts with this. */
export const CONTAINER_PREFIX = 'tessera-ct-';

/** The ID prefix of this process's containers: `tessera-ct-<pid>-`, so a later run can tell a crashed run's leftovers (dead pid) from a live run's. */
export function ownPrefix(pid = process.pid): string {
  return `${CONTAINER_PREFIX}${pid}-`;
}

/** Unique container IDs for this process: `tessera-ct-<pid>-<kind><n>`. */
export class ContainerIds {
  private n = 0;
  constructor(readonly prefix = ownPrefix()) {}
  next(kind: string): string {
    return `${this.prefix}${kind}${++this.n}`;
  }
}

/** The IDs `runc list` shows (every container runc knows, of any owner). */
export function runcList(runc: string): string[] {
  const out = execFileSync(runc, ['list', '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 }).trim();
  // runc prints "null" when there are none.
  const list = (out ? JSON.parse(out) : null) as Array<{ id: string }> | null;
  return (list ?? []).map((c) => c.id);
}

/** `runc delete --force ID`: kills what still runs in it and removes its state and cgroup. False when it was not there (or could not be deleted). */
export function runcDeleteForce(runc: string, id: string): boolean {
  try {
    execFileSync(runc, ['delete', '--force', id], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes the containers named `tessera-ct-<pid>-…` whose process `pid` is gone: what a run
 * killed before its teardown (SIGKILL, a crash) left behind. Another live run's are left alone.
 * @returns the IDs deleted
 */
export function sweepStaleContainers(runc: string): string[] {
  const stale = runcList(runc).filter((id) => {
    const m = new RegExp(`^${CONTAINER_PREFIX}(\\d+)-`).exec(id);
    return m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]));
  });
  for (const id of stale) runcDeleteForce(runc, id);
  return stale;
}
