/**
 * Times a command as a whole process: wall time from spawn to exit, CPU time (user and
 * system) of the process and every descendant it waited for, and where Linux allows it,
 * the peak resident set of the process.
 *
 * Node reports no resource usage for a child, so the command runs under POSIX `sh`, whose
 * `times` builtin prints the CPU time of the shell's waited-for children on its last
 * line ("0m1.230000s 0m0.110000s": user, then system). The shell adds a fork and an exec
 * (~1 ms) to the wall time of every command alike. `times` counts in clock ticks, 10 ms
 * on Linux (CLK_TCK = 100).
 *
 * Peak RSS: the `VmHWM` (high-water mark) of the shell's child, read from /proc every
 * 20 ms while it runs — the high-water mark is kept by the kernel, so a sample misses only
 * what the process grows by in its last 20 ms. Not measured where /proc lacks
 * `task/<pid>/children` (not Linux, or a kernel without CONFIG_PROC_CHILDREN).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One run of a command. */
export interface ProcessTiming {
  /** Spawn to exit, ms. */
  wallMs: number;
  /** CPU time in user mode of the command and its waited-for descendants, ms. */
  userMs: number;
  /** CPU time in the kernel on their behalf, ms. */
  sysMs: number;
  /** Peak resident set of the command's process, MiB; undefined where it cannot be sampled. */
  peakRssMb?: number;
  /** What the command wrote to stderr, the shell's `times` lines removed. */
  stderr: string;
}

/** Runs `"$@"`, then prints `times` on stderr and exits with the command's status. */
const WRAPPER = '"$@"; s=$?; times >&2; exit $s';

/** One `times` figure, e.g. `0m1.230000s` (dash), `0m1.230s` (bash), `1m 2.5s`; a comma as decimal mark is accepted. */
const FIGURE = String.raw`(\d+)m\s*(\d+(?:[.,]\d+)?)s`;
const TIMES_LINE = new RegExp(String.raw`^\s*${FIGURE}\s+${FIGURE}\s*$`);

const toMs = (minutes: string, seconds: string) => (Number(minutes) * 60 + Number(seconds.replace(',', '.'))) * 1000;

/**
 * Reads the last line of sh's `times` output (children's user and system time) from the
 * end of `stderr`; returns the times and the stderr before the two `times` lines.
 * @throws Error when the last line is not a `times` line
 */
export function parseTimes(stderr: string): { userMs: number; sysMs: number; rest: string } {
  const lines = stderr.replace(/\s+$/, '').split('\n');
  const last = lines[lines.length - 1] ?? '';
  const m = TIMES_LINE.exec(last);
  if (!m) {
    throw new Error(
      `cannot read the command's CPU time: the last line of stderr should be sh's \`times\` output for the children ("0m1.23s 0m0.11s"), got ${JSON.stringify(last.slice(-200))}`,
    );
  }
  // The line before is the shell's own times; the command's stderr ends before it.
  const own = lines.length >= 2 && TIMES_LINE.test(lines[lines.length - 2]) ? 2 : 1;
  return { userMs: toMs(m[1], m[2]), sysMs: toMs(m[3], m[4]), rest: lines.slice(0, lines.length - own).join('\n') };
}

/** Samples the peak RSS of `shellPid`'s children through /proc; `peakMb` is undefined where that is not possible. */
class ChildRssSampler {
  private peakKb = 0;
  private supported = true;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly shellPid: number, intervalMs = 20) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    if (!this.supported) return;
    let children: string;
    try {
      children = readFileSync(`/proc/${this.shellPid}/task/${this.shellPid}/children`, 'utf8');
    } catch (err) {
      // ENOENT after the shell exited is normal; ENOENT before any sample means no support.
      if (this.peakKb === 0 && (err as NodeJS.ErrnoException).code === 'ENOENT' && !this.shellAlive()) return;
      if (this.peakKb === 0) this.supported = false;
      return;
    }
    for (const pid of children.trim().split(/\s+/).filter(Boolean)) {
      try {
        const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (hwm) this.peakKb = Math.max(this.peakKb, Number(hwm[1]));
      } catch {
        // The child exited between the two reads.
      }
    }
  }

  private shellAlive(): boolean {
    try {
      readFileSync(`/proc/${this.shellPid}/stat`);
      return true;
    } catch {
      return false;
    }
  }

  stop(): number | undefined {
    clearInterval(this.timer);
    return this.supported && this.peakKb > 0 ? this.peakKb / 1024 : undefined;
  }
}

/**
 * Runs `argv` (`argv[0]` the executable) as a child process under `sh` and times it.
 * @throws Error when the command exits non-zero or is killed (with the end of its stderr), or when `times` cannot be read
 */
export function timeProcess(argv: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ProcessTiming> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('sh', ['-c', WRAPPER, 'sh', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
    const rss = child.pid === undefined ? undefined : new ChildRssSampler(child.pid);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      // Keep the end: the `times` lines come last; a chatty command must not grow this without bound.
      stderr = (stderr + d).slice(-64 * 1024);
    });
    child.on('error', (err) => {
      rss?.stop();
      reject(new Error(`cannot start sh to time ${argv.join(' ')}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - start;
      const peakRssMb = rss?.stop();
      if (code !== 0) {
        let own = stderr;
        try {
          own = parseTimes(stderr).rest;
        } catch {
          // Killed before `times` ran: all of it is the command's.
        }
        const tail = own.trim().split('\n').slice(-8).join('\n');
        reject(new Error(`${argv.join(' ')} ${signal ? `was killed by ${signal}` : `exited with ${code}`}${tail ? `:\n${tail}` : ''}`));
        return;
      }
      try {
        const { userMs, sysMs, rest } = parseTimes(stderr);
        resolve({ wallMs, userMs, sysMs, stderr: rest, ...(peakRssMb !== undefined ? { peakRssMb } : {}) });
      } catch (err) {
        reject(err);
      }
    });
  });
}
