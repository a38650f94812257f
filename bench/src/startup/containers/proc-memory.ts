/**
 * Memory as the kernel reports it, read from /proc and the cgroup filesystem: a process's RSS
 * and PSS (`/proc/PID/smaps_rollup`; PSS splits each shared page among the processes mapping
 * it), a process tree, whether a process is blocked reading a given fd, and a cgroup's usage
 * (`memory.usage_in_bytes` under cgroup v1, `memory.current` under v2).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Memory of one process or a sum of them, bytes. */
export interface ProcMemory {
  rss: number;
  pss: number;
  /** The anonymous (private heap, stack) and the file-backed (code, mapped files) parts of PSS. */
  pssAnon: number;
  pssFile: number;
}

export const ZERO_MEMORY: ProcMemory = { rss: 0, pss: 0, pssAnon: 0, pssFile: 0 };

export function addMemory(a: ProcMemory, b: ProcMemory): ProcMemory {
  return { rss: a.rss + b.rss, pss: a.pss + b.pss, pssAnon: a.pssAnon + b.pssAnon, pssFile: a.pssFile + b.pssFile };
}

/**
 * RSS and PSS of `pid` from /proc/PID/smaps_rollup (Linux ≥ 4.14).
 * @throws Error when the process is gone or smaps_rollup is not readable
 */
export function processMemory(pid: number): ProcMemory {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rss: kb('Rss'), pss: kb('Pss'), pssAnon: kb('Pss_Anon'), pssFile: kb('Pss_File') };
}

/** Parent pid and command name of every process, from /proc/PID/stat. */
function processTable(): Map<number, { ppid: number; comm: string }> {
  const table = new Map<number, { ppid: number; comm: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split at the last ")".
      const close = stat.lastIndexOf(')');
      const rest = stat.slice(close + 2).split(' ');
      table.set(Number(name), { ppid: Number(rest[1]), comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // exited meanwhile
    }
  }
  return table;
}

/** `pid` and every process below it, parents before children. */
export function processTree(pid: number): number[] {
  const table = processTable();
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [p, { ppid }] of table) if (ppid === out[i]) out.push(p);
  return out.filter((p) => table.has(p));
}

/** Every process below `pid` (not `pid` itself), with its command name. */
export function descendants(pid = process.pid): Array<{ pid: number; comm: string }> {
  const table = processTable();
  return processTree(pid)
    .slice(1)
    .map((p) => ({ pid: p, comm: table.get(p)?.comm ?? '?' }));
}

/** The sum of RSS and PSS over `pids` (a process gone meanwhile counts nothing). */
export function treeMemory(pids: readonly number[]): ProcMemory {
  let sum = ZERO_MEMORY;
  for (const p of pids) {
    try {
      sum = addMemory(sum, processMemory(p));
    } catch {
      // exited
    }
  }
  return sum;
}

/** True when `pid`'s main thread is blocked in read(2) on `fd` (/proc/PID/syscall: "0 0x<fd> …"). */
export function blockedReading(pid: number, fd = 0): boolean {
  try {
    const [nr, arg0] = readFileSync(`/proc/${pid}/syscall`, 'utf8').trim().split(' ');
    return nr === '0' && Number(arg0) === fd;
  } catch {
    return false;
  }
}

/** The first process under (or at) `root`, parents first, whose argv satisfies `match`, or undefined. */
export function findInTree(root: number, match: (argv: string[]) => boolean): number | undefined {
  for (const p of processTree(root)) {
    try {
      if (match(readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0'))) return p;
    } catch {
      // exited
    }
  }
  return undefined;
}

/** Mount points of the cgroup hierarchies, from /proc/self/mountinfo: v1 by controller, and the v2 one. */
function cgroupMounts(): { v1: Map<string, string>; v2?: string } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const mountPoint = left.split(' ')[4];
    const [fstype, , superOptions = ''] = right.split(' ');
    if (fstype === 'cgroup2') v2 ??= mountPoint;
    else if (fstype === 'cgroup') for (const opt of superOptions.split(',')) v1.set(opt, mountPoint);
  }
  return { v1, v2 };
}

/** What the kernel charges to the memory cgroup `pid` is in: the file read and its value in bytes, or undefined when there is no memory controller. */
export function cgroupMemory(pid: number): { file: string; bytes: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  } catch {
    return undefined;
  }
  const mounts = cgroupMounts();
  const candidates: string[] = [];
  for (const line of lines) {
    const [id, controllers, path] = line.split(':');
    if (id !== '0' && controllers.split(',').includes('memory') && mounts.v1.has('memory')) candidates.push(join(mounts.v1.get('memory')!, path, 'memory.usage_in_bytes'));
    if (id === '0' && mounts.v2) candidates.push(join(mounts.v2, path, 'memory.current'));
  }
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const bytes = Number(readFileSync(file, 'utf8').trim());
    if (Number.isFinite(bytes)) return { file, bytes };
  }
  return undefined;
}
