/**
 * What `tessera bench cluster` needs (Linux, root, `ip netns`, the cgroup v1 cpu controller,
 * redis-server and redis-cli) as a test's `skip` option, and what it may leave behind: the
 * `tessera-` network namespaces, root-namespace links and cpu cgroups, read the way an
 * operator would (`ip netns list`, `ip link`, `ls /sys/fs/cgroup/cpu`).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { IN_CI } from './tools.js';

const CPU_CGROUP = '/sys/fs/cgroup/cpu';

function onPath(name: string): boolean {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin']) {
    try {
      if (dir) {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      }
    } catch {
      // not here
    }
  }
  return false;
}

/** Why the cluster bench cannot run here, or undefined when it can. */
export function clusterHostProblem(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, veths, cgroups): run the tests as root';
  if (!onPath('ip')) return 'needs the ip command (apt-get install iproute2)';
  if (!existsSync(join(CPU_CGROUP, 'cpu.cfs_quota_us'))) return `needs the cgroup v1 cpu controller at ${CPU_CGROUP}`;
  if (!onPath('redis-server') || !onPath('redis-cli')) return 'needs redis-server and redis-cli (apt-get install redis-server)';
  return undefined;
}

/**
 * The `skip` option for tests of the cluster bench: locally they skip saying what is missing;
 * under CI they run (and fail on what is missing), so a green CI run means they ran.
 */
export function requireClusterHost(): false | string {
  const problem = clusterHostProblem();
  if (!problem || IN_CI) return false;
  return `tessera bench cluster ${problem}; skipping`;
}

const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
};

/** Everything named tessera- that the cluster bench makes: namespaces (`ip netns list`), links in the root namespace and anywhere in those namespaces (`ip link`), cpu cgroups. */
export function clusterLeftovers(): { namespaces: string[]; links: string[]; cgroups: string[] } {
  const namespaces = sh('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n?.startsWith('tessera-'));
  const links = sh('ip', ['-o', 'link', 'show'])
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n && n.startsWith('tessera-'));
  const cgroups = existsSync(CPU_CGROUP) ? readdirSync(CPU_CGROUP).filter((n) => n.startsWith('tessera-')) : [];
  return { namespaces, links, cgroups };
}

/** The cluster bench's lock (held while one runs; see bench/src/cluster/host.ts). */
export const CLUSTER_LOCK = '/run/tessera-bench-cluster.lock';

/**
 * Waits (bounded) until no other cluster bench holds the lock — another test run on the same
 * box, say — so a test neither fails on "another tessera bench cluster is running" nor plants
 * its fake leftovers beside someone else's lab.
 */
export async function waitForClusterLock(timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let pid = NaN;
    try {
      pid = Number(readFileSync(CLUSTER_LOCK, 'utf8').trim());
    } catch {
      return;
    }
    try {
      process.kill(pid, 0);
    } catch {
      return; // a stale lock: the bench takes it over
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`another tessera bench cluster still holds ${CLUSTER_LOCK} after ${timeoutMs / 1000} s`);
}
