/**
 * How many CPUs this process may use: `os.availableParallelism()` (the cores it may be
 * scheduled on), lowered to its cgroup's CPU quota. A container or a cluster machine
 * capped at 0.5 CPU on a 2-core host otherwise sizes its thread pools for two cores and
 * pays for the second in context switches and memory. Reads cgroup v2 `cpu.max` or v1
 * `cpu.cfs_quota_us`/`cpu.cfs_period_us` of the process's own cgroup and of every parent
 * (a parent's quota caps its children too); anything unreadable counts as no quota.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** CPUs a quota of `quota` µs per `period` µs gives; undefined when unlimited or unreadable. */
function quotaCpus(quota: number, period: number): number | undefined {
  return Number.isFinite(quota) && Number.isFinite(period) && quota > 0 && period > 0 ? quota / period : undefined;
}

/** The smallest quota on the path from `dir` up to `root`, in CPUs. */
function smallestQuota(root: string, dir: string, quotaOf: (d: string) => number | undefined): number | undefined {
  let least: number | undefined;
  for (let d = join(root, dir); d.startsWith(root); d = dirname(d)) {
    const q = quotaOf(d);
    if (q !== undefined) least = least === undefined ? q : Math.min(least, q);
    if (d === root) break;
  }
  return least;
}

/**
 * The CPU quota of this process's cgroup, in CPUs (e.g. 0.4); undefined without one.
 * @param procCgroup the text of /proc/self/cgroup (a parameter for tests)
 */
export function cgroupCpuQuota(procCgroup = read('/proc/self/cgroup') ?? '', root = CGROUP_ROOT): number | undefined {
  let least: number | undefined;
  const take = (q: number | undefined) => {
    if (q !== undefined) least = least === undefined ? q : Math.min(least, q);
  };
  for (const line of procCgroup.split('\n')) {
    const match = /^[^:]*:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers, path] = match;
    if (controllers === '') {
      // cgroup v2: "max 100000" or "40000 100000".
      take(smallestQuota(root, path, (d) => {
        const [quota, period] = (read(join(d, 'cpu.max')) ?? '').split(/\s+/);
        return quota === 'max' ? undefined : quotaCpus(Number(quota), Number(period));
      }));
    } else if (controllers.split(',').includes('cpu')) {
      for (const mount of [join(root, controllers), join(root, 'cpu'), join(root, 'cpu,cpuacct')]) {
        // The mount that holds this process's cgroup (v1 may mount cpu alone or with cpuacct).
        if (read(join(mount, path, 'cpu.cfs_period_us')) === undefined) continue;
        take(smallestQuota(mount, path, (d) => quotaCpus(Number(read(join(d, 'cpu.cfs_quota_us'))), Number(read(join(d, 'cpu.cfs_period_us'))))));
        break;
      }
    }
  }
  return least;
}

let cached: number | undefined;

/**
 * CPUs this process may use, at least 1: the cores it may run on, lowered to its cgroup's
 * quota rounded up (0.4 CPU → 1, 1.5 → 2). The default thread count of `tessera run`
 * and `tessera worker`.
 */
export function usableCpus(): number {
  if (cached === undefined) {
    const quota = cgroupCpuQuota();
    cached = Math.max(1, quota === undefined ? availableParallelism() : Math.min(availableParallelism(), Math.ceil(quota - 1e-9)));
  }
  return cached;
}
