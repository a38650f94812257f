/**
 * What `tessera bench cluster` needs of this box and how it cleans up after itself: the
 * preconditions (Linux, root, `ip netns`, the cgroup v1 `cpu` controller, redis-server and
 * redis-cli), a lock so that two cluster benches never share the `tessera-` names, and
 * the removal of everything named `tessera-` an earlier, crashed run left behind.
 *
 * Everything here is synchronous on purpose: teardown runs from signal handlers and from
 * `process.on('exit')`, where nothing asynchronous completes.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tmpdir } from 'node:os';
import { ErrorCode, TesseraError } from 'tessera/internal/errors';

/** Everything the bench creates starts with this. */
export const PREFIX = 'tessera-';
/** The cgroup v1 `cpu` hierarchy. */
export const CPU_CGROUP_ROOT = '/sys/fs/cgroup/cpu';
/** The bench's own cgroup, parent of one cgroup per machine. */
export const CGROUP_PARENT = join(CPU_CGROUP_ROOT, 'tessera-bench');
/** The work directories (inputs, outputs, TMPDIR of the machines) are made under the system temp dir with this prefix. */
export const WORKDIR_PREFIX = 'tessera-cluster-';
/** Held while a cluster bench runs; holds its pid. */
export const LOCK_FILE = existsSync('/run') ? '/run/tessera-bench-cluster.lock' : join(tmpdir(), 'tessera-bench-cluster.lock');

/** Sleeps synchronously (teardown cannot await). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs a program to completion (bounded: 15 s), returning its stdout; throws with its stderr on failure. */
export function run(cmd: string, args: readonly string[], timeoutMs = 15_000): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

/** Like `run`, but a failure is only returned, never thrown (teardown keeps going). */
export function tryRun(cmd: string, args: readonly string[], timeoutMs = 15_000): { ok: boolean; out: string; err?: string } {
  try {
    return { ok: true, out: run(cmd, args, timeoutMs) };
  } catch (err) {
    return { ok: false, out: '', err: (err as Error).message };
  }
}

/** The absolute path of `name` on $PATH (and the sbin directories, where `ip` lives), or undefined. */
export function findOnPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Programs the cluster runs, by absolute path. */
export interface HostTools {
  ip: string;
  redisServer: string;
  redisCli: string;
  /** util-linux setpriv, optional (a parent-death signal for the machines' processes). */
  setpriv?: string;
  /** util-linux nsenter, optional: enters only a machine's network namespace, so /sys (and the cgroup quota a process reads there) stays visible. */
  nsenter?: string;
}

const missing = (message: string) => new TesseraError(ErrorCode.MissingTool, message);

/**
 * Refuses (exit 3, TESSERA_MISSING_TOOL) unless this is Linux, we are root, `ip netns`
 * works, the cgroup v1 `cpu` controller is mounted with CFS quotas, and redis-server and
 * redis-cli are installed. Returns the programs' paths.
 */
export function checkClusterHost(): HostTools {
  if (process.platform !== 'linux') {
    throw missing(`tessera bench cluster needs Linux (network namespaces and the cgroup v1 cpu controller); this is ${process.platform}`);
  }
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw missing('tessera bench cluster needs root: it creates network namespaces, veth pairs and cgroups. Run it as root (e.g. sudo npx tessera bench cluster)');
  }
  const ip = findOnPath('ip');
  if (!ip) throw missing('tessera bench cluster needs the `ip` command (iproute2): apt-get install iproute2');
  const probe = tryRun(ip, ['netns', 'list']);
  if (!probe.ok) throw missing(`\`ip netns\` does not work here (${probe.err}); tessera bench cluster needs network namespaces`);
  if (!existsSync(join(CPU_CGROUP_ROOT, 'cpu.cfs_quota_us')) || !existsSync(join(CPU_CGROUP_ROOT, 'cgroup.procs'))) {
    throw missing(
      `tessera bench cluster caps each machine's CPU with the cgroup v1 cpu controller, and ${CPU_CGROUP_ROOT} has no cpu.cfs_quota_us ` +
        '(a cgroup v2-only system, or the controller is not mounted). Possible solutions:\n' +
        '- boot with systemd.unified_cgroup_hierarchy=0 (cgroup v1)\n' +
        `- mount it: mkdir -p ${CPU_CGROUP_ROOT} && mount -t cgroup -o cpu cgroup ${CPU_CGROUP_ROOT}`,
    );
  }
  const redisServer = findOnPath('redis-server');
  const redisCli = findOnPath('redis-cli');
  if (!redisServer || !redisCli) {
    throw missing(`tessera bench cluster runs Redis on one of its machines and checks it with redis-cli; ${!redisServer ? 'redis-server' : 'redis-cli'} is not installed (apt-get install redis-server, which has both)`);
  }
  return { ip, redisServer, redisCli, setpriv: findOnPath('setpriv'), nsenter: findOnPath('nsenter') };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the cluster bench's lock (a file holding our pid). Another live cluster bench
 * makes this refuse; a lock whose process is gone is a crashed run's, and is taken over.
 * Returns true when a stale lock was found (so leftovers are expected).
 */
export function takeLock(): boolean {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(LOCK_FILE, `${process.pid}\n`, { flag: 'wx' });
      return attempt > 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(readFileSync(LOCK_FILE, 'utf8').trim());
      } catch {
        // vanished meanwhile: try again
      }
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && pidAlive(holder)) {
        throw new TesseraError(ErrorCode.Usage, `another tessera bench cluster is running (pid ${holder}, lock ${LOCK_FILE}); it owns the tessera- namespaces and cgroups — wait for it to finish`);
      }
      try {
        unlinkSync(LOCK_FILE);
      } catch {
        // someone else removed it
      }
    }
  }
  throw new TesseraError(ErrorCode.Usage, `cannot take the lock ${LOCK_FILE}`);
}

/** Releases the lock if we hold it. */
export function releaseLock(): void {
  try {
    if (readFileSync(LOCK_FILE, 'utf8').trim() === String(process.pid)) unlinkSync(LOCK_FILE);
  } catch {
    // not ours, or gone
  }
}

/** Network namespaces named `tessera-…`. */
export function tesseraNamespaces(ip = 'ip'): string[] {
  const r = tryRun(ip, ['netns', 'list']);
  return r.out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n): n is string => !!n && n.startsWith(PREFIX));
}

/** Links named `tessera-…` in the root namespace (the bench makes none there; an older or broken run might have). */
export function tesseraRootLinks(ip = 'ip'): string[] {
  const r = tryRun(ip, ['-o', 'link', 'show']);
  return r.out
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n && n.startsWith(PREFIX));
}

/** cgroups under the bench's parent (the machines'), and the parent itself, deepest first. */
export function tesseraCgroups(): string[] {
  if (!existsSync(CGROUP_PARENT)) return [];
  const children = readdirSync(CGROUP_PARENT, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(CGROUP_PARENT, d.name));
  return [...children, CGROUP_PARENT];
}

/** The pids in a cgroup (cgroup.procs), none if it is gone. */
export function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** SIGKILLs every pid given, ignoring those already gone. */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    if (!(pid > 1) || pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** The pids with a network namespace `ns` (`ip netns pids`). */
export function namespacePids(ns: string, ip = 'ip'): number[] {
  return tryRun(ip, ['netns', 'pids', ns]).out.split('\n').filter(Boolean).map(Number);
}

/**
 * Removes a cgroup: kills its processes, waits (bounded, ~3 s) for them to leave, removes the
 * directory. Returns an error line when it is still there.
 */
export function removeCgroup(dir: string): string | undefined {
  for (let i = 0; i < 60; i++) {
    if (!existsSync(dir)) return undefined;
    killAll(cgroupPids(dir));
    try {
      rmdirSync(dir);
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      sleepSync(50);
    }
  }
  return `cgroup ${dir} could not be removed (pids ${cgroupPids(dir).join(' ') || 'none'})`;
}

/** Deletes a network namespace after killing what runs in it (a namespace with processes would outlive its name, with its veths). */
export function removeNamespace(ns: string, ip = 'ip'): string | undefined {
  for (let i = 0; i < 40; i++) {
    const pids = namespacePids(ns, ip);
    killAll(pids);
    if (pids.length) {
      sleepSync(50);
      continue;
    }
    break;
  }
  const r = tryRun(ip, ['netns', 'del', ns]);
  if (!r.ok && tesseraNamespaces(ip).includes(ns)) return `network namespace ${ns} could not be deleted: ${r.err}`;
  return undefined;
}

/** Work directories of earlier cluster benches under the temp dir (only removed when no other cluster bench runs: we hold the lock). */
export function staleWorkdirs(): string[] {
  try {
    return readdirSync(tmpdir())
      .filter((n) => n.startsWith(WORKDIR_PREFIX))
      .map((n) => join(tmpdir(), n));
  } catch {
    return [];
  }
}

/**
 * Removes everything an earlier cluster bench left: processes in `tessera-` namespaces and
 * in the bench's cgroups, the namespaces (and with them their veths and bridge), root-namespace
 * `tessera-` links, the cgroups and work directories. Call only while holding the lock.
 * Returns what it removed, and what it could not.
 */
export function removeLeftovers(ip = 'ip'): { removed: string[]; errors: string[] } {
  const removed: string[] = [];
  const errors: string[] = [];
  for (const cg of tesseraCgroups()) killAll(cgroupPids(cg));
  for (const ns of tesseraNamespaces(ip)) {
    const e = removeNamespace(ns, ip);
    if (e) errors.push(e);
    else removed.push(`namespace ${ns}`);
  }
  for (const link of tesseraRootLinks(ip)) {
    const r = tryRun(ip, ['link', 'del', link]);
    if (r.ok) removed.push(`link ${link}`);
    else if (tesseraRootLinks(ip).includes(link)) errors.push(`link ${link}: ${r.err}`);
  }
  for (const cg of tesseraCgroups()) {
    const e = removeCgroup(cg);
    if (e) errors.push(e);
    else removed.push(`cgroup ${cg}`);
  }
  for (const dir of staleWorkdirs()) {
    rmSync(dir, { recursive: true, force: true });
    removed.push(`directory ${dir}`);
  }
  return { removed, errors };
}
