/**
 * `pipe` — the reference's "optimized" rung: tiles stay in memory and stream as
 * binary frames through stdin/stdout of long-lived filter processes (one per worker),
 * each running the filter's WASI command form. Costs over `copy`: framing, two pipe
 * transfers per tile, and a process per worker.
 *
 * Every image starts from fresh filter state: before a tile of another image reaches a
 * process, it gets an end-of-image frame on stdin and a request byte on its fd 3, and a
 * tile is sent only once it has answered on fd 3 that a fresh instance is running (well
 * under a millisecond). A command form that does not honour the frame is replaced by a fresh
 * process (~0.1 s) instead — then, for the rest of the session, at every change of image.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex, Readable, Writable } from 'node:stream';
import { decodeResponseInto, encodeEndOfImage, encodeRequest, responseBytes } from './frame.js';
import type { RunnerInit, TileTask, TileTimings } from '../types.js';
import { WASI_PROCESS_FLAGS, WASI_PROCESS_SCRIPT } from './child-process.js';
import { tileTimeoutError } from '../../executors/deadline.js';
import type { TileExecutor } from '../../executors/types.js';
import { filterText } from '../../filter/filter-text.js';

/** How long a filter process may take to exit after its stdin is closed before it is killed, in ms. */
const EXIT_GRACE_MS = 2000;
/**
 * How long a filter process may take to acknowledge an end-of-image frame, in ms: a fresh
 * instance takes about a millisecond; one that has not answered by then ignores the frame.
 */
const FRESH_ACK_MS = 2000;
/** The byte that asks for a fresh instance on fd 3 (echoed back as the acknowledgement). */
const FRESH_REQUEST = Buffer.of(0x46);

/** See {@link setFilterProcessLauncher}. */
let filterProcessLauncher: readonly string[] | undefined;

/**
 * Internal hook, for the bench (no stability promise): a launcher that the filter processes
 * of every pipe executor created from now on start under — `launcher[0] …launcher[1..]
 * node flags wasi-process.js FILTER.wasi.wasm` — e.g. `['bwrap', …, '--']` or a script that
 * runs its arguments in a container, so that what such isolation costs in the steady state can
 * be measured apart from its start-up. The launcher must pass stdin, stdout, stderr and fd 3
 * through to the filter process and exit when it exits. An executor keeps the launcher it was
 * created with, also for the processes it replaces; a session creates its executor at its first tile.
 * @param launcher the command and its leading arguments, or undefined for none (the default)
 * @returns a function that puts back the launcher that was set before
 */
export function setFilterProcessLauncher(launcher: readonly string[] | undefined): () => void {
  if (launcher && (launcher.length === 0 || launcher.some((a) => typeof a !== 'string' || a === ''))) {
    throw new TypeError('a filter process launcher must be a command and its arguments, non-empty strings');
  }
  const before = filterProcessLauncher;
  filterProcessLauncher = launcher ? [...launcher] : undefined;
  return () => {
    filterProcessLauncher = before;
  };
}

interface Pending {
  task: TileTask;
  resolve: (t: TileTimings) => void;
  reject: (e: Error) => void;
}

class FilterProcess {
  readonly child: ChildProcess;
  private readonly stdin: Writable;
  /** fd 3: fresh-instance requests out, acknowledgements in. Bytes there come from the filter process's host code, never from the filter. */
  private readonly control: Duplex;
  private chunks: Buffer[] = [];
  private received = 0;
  private stderr = '';
  private current?: { pending: Pending; need: number; splitMs: number; sentAt: number; timer: NodeJS.Timeout };
  private timedOut = false;
  /** Set while waiting for the acknowledgement of an end-of-image frame: bounds the wait. */
  private renewing: NodeJS.Timeout | undefined;
  /** Why this process was killed for misbehaving (not for a deadline). */
  private misbehaved: string | undefined;
  /** True until its instance has filtered a tile; then `group` is the image (group) it has seen. */
  private fresh = true;
  private group: number | undefined;
  dead = false;
  /** It died while it should have been starting a fresh instance: its filter does not honour end-of-image frames. */
  ignoredEndOfImage = false;

  constructor(
    commandPath: string,
    launcher: readonly string[] | undefined,
    private readonly timeoutMs: number,
    private readonly onIdle: (p: FilterProcess) => void,
    private readonly onDeath: (p: FilterProcess) => void,
  ) {
    const argv = [process.execPath, ...WASI_PROCESS_FLAGS, WASI_PROCESS_SCRIPT, commandPath];
    const [command, ...args] = launcher ? [...launcher, ...argv] : argv;
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    this.stdin = this.child.stdin!;
    this.control = this.child.stdio[3] as Duplex;
    (this.child.stdout as Readable).on('data', (chunk: Buffer) => this.onData(chunk));
    (this.child.stderr as Readable).on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    this.control.on('data', (chunk: Buffer) => this.onControl(chunk));
    this.stdin.on('error', () => {}); // reported through 'exit'
    this.control.on('error', () => {});
    this.child.on('exit', (code, signal) => {
      this.dead = true;
      if (this.renewing) {
        clearTimeout(this.renewing);
        this.renewing = undefined;
        this.ignoredEndOfImage = true;
      }
      const why = this.timedOut
        ? tileTimeoutError(this.timeoutMs, 'its filter process was killed and replaced').message
        : this.misbehaved
          ? `its filter process ${this.misbehaved} and was killed`
          : `filter process exited (${signal ?? `code ${code}`})${this.stderr ? `: ${filterText(this.stderr.trim())}` : ''}`;
      if (this.current) clearTimeout(this.current.timer);
      this.current?.pending.reject(new Error(why));
      this.current = undefined;
      this.onDeath(this);
    });
  }

  get busy(): boolean {
    return this.current !== undefined || this.renewing !== undefined;
  }

  /** True when its instance has filtered tiles of `group` (and of no other). */
  isOn(group: number | undefined): boolean {
    return !this.fresh && group === this.group;
  }

  /** True when tiles of `group` need a fresh instance here: it has filtered tiles of another. */
  needsFresh(group: number | undefined): boolean {
    return !this.fresh && group !== this.group;
  }

  /** Asks for a fresh instance; the process is busy until it acknowledges (then idle) or dies. */
  renew(): void {
    this.renewing = setTimeout(() => this.kill(`did not acknowledge an end-of-image frame within ${FRESH_ACK_MS} ms`), FRESH_ACK_MS);
    this.control.write(FRESH_REQUEST);
    this.stdin.write(encodeEndOfImage());
  }

  send(pending: Pending, halo: number, params: readonly number[]): void {
    const { task } = pending;
    this.fresh = false;
    this.group = task.group;
    const t0 = performance.now();
    const frame = encodeRequest(new Uint8Array(task.src!), task.srcOffset, task.srcStride, task.width, task.height, halo, params);
    const t1 = performance.now();
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGKILL');
    }, this.timeoutMs);
    this.current = { pending, need: responseBytes(task.width, task.height), splitMs: t1 - t0, sentAt: t1, timer };
    this.stdin.write(frame);
  }

  /** Kills the process for breaking the frame protocol; the tile in flight (if any) fails with `why`. */
  kill(why: string): void {
    if (this.misbehaved || this.dead) return;
    this.misbehaved = why;
    this.chunks = [];
    this.received = 0;
    this.child.kill('SIGKILL');
  }

  private onControl(chunk: Buffer): void {
    if (this.dead || this.misbehaved) return;
    // One request at a time, one byte back for it; anything else breaks the protocol.
    if (!this.renewing || chunk.length !== 1 || chunk[0] !== FRESH_REQUEST[0]) {
      this.kill('answered a fresh-instance request nobody made');
      return;
    }
    clearTimeout(this.renewing);
    this.renewing = undefined;
    this.fresh = true;
    this.onIdle(this);
  }

  private onData(chunk: Buffer): void {
    const cur = this.current;
    // One frame is in flight at a time: bytes nobody asked for (also while a fresh instance
    // starts) are a filter flooding its stdout, and are never buffered (nor taken for the
    // next tile's answer).
    if (!cur || this.received + chunk.length > cur.need) {
      this.kill(`wrote ${cur ? 'more output than its frame' : 'output nobody asked for'} (${this.received + chunk.length} bytes${cur ? `, ${cur.need} expected` : ''})`);
      return;
    }
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.received < cur.need) return;
    const all = Buffer.concat(this.chunks, this.received);
    const t2 = performance.now();
    const { task } = cur.pending;
    clearTimeout(cur.timer);
    this.current = undefined;
    this.chunks = [];
    this.received = 0;
    try {
      decodeResponseInto(all.subarray(0, cur.need), task.width, task.height, new Uint8Array(task.dst!), task.dstOffset, task.dstStride);
      cur.pending.resolve({ splitMs: cur.splitMs, filterMs: t2 - cur.sentAt, assembleMs: performance.now() - t2 });
    } catch (err) {
      cur.pending.reject(err as Error);
    }
    this.onIdle(this);
  }

  /** Ends its stdin (and fd 3) and resolves when it has exited — killed if it does not within {@link EXIT_GRACE_MS}. */
  close(): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const kill = setTimeout(() => this.child.kill('SIGKILL'), EXIT_GRACE_MS);
      this.child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.stdin.end();
      this.control.end(); // a command that exited 75 unasked waits on fd 3 for a request: EOF ends it
    });
  }
}

/**
 * Dispatches tiles to `threads` long-lived filter processes, one frame in flight each. A
 * process that dies (a trap, a deadline, a flood) is replaced when the next tile needs it,
 * not at once: a filter whose process dies at every start costs a start per tile, not a loop.
 */
export class PipeExecutor implements TileExecutor {
  /** Tiles waiting, by group (image), the groups in order of arrival. */
  private readonly queue = new Map<number | undefined, Pending[]>();
  private readonly processes: Array<FilterProcess | undefined> = [];
  /** Every process not yet exited, also those replaced, so that close() waits for them all. */
  private readonly live = new Set<FilterProcess>();
  private closed = false;
  /** Set once a process failed to start a fresh instance: from then on a new image gets a new process. */
  private ignoresEndOfImage = false;
  /** Counts, for tests: processes started, end-of-image frames sent, processes replaced for a new image. */
  readonly stats = { processes: 0, endOfImageFrames: 0, replacedForImage: 0 };
  /** What the filter processes start under ({@link setFilterProcessLauncher} when this executor was made). */
  private readonly launcher = filterProcessLauncher;

  constructor(
    private readonly init: RunnerInit,
    readonly threads: number,
    private readonly tileTimeoutMs: number,
  ) {
    if (!init.commandPath) throw new Error('pipe strategy needs the filter\'s WASI command form');
    for (let i = 0; i < threads; i++) this.processes.push(this.spawn());
  }

  private spawn(): FilterProcess {
    this.stats.processes++;
    const p = new FilterProcess(this.init.commandPath!, this.launcher, this.tileTimeoutMs, () => this.dispatch(), (dead) => {
      this.live.delete(dead);
      if (dead.ignoredEndOfImage) this.ignoresEndOfImage = true;
      const i = this.processes.indexOf(dead);
      if (i >= 0) this.processes[i] = undefined;
      this.dispatch();
    });
    this.live.add(p);
    return p;
  }

  run(task: TileTask): Promise<TileTimings> {
    return new Promise((resolve, reject) => {
      const tiles = this.queue.get(task.group);
      if (tiles) tiles.push({ task, resolve, reject });
      else this.queue.set(task.group, [{ task, resolve, reject }]);
      this.dispatch();
    });
  }

  /**
   * The group whose next tile `p` takes: the image it is on, else the first no other process is
   * on, else the first. Images interleaved in the queue, or one image's tiles spread over every
   * process, would cost each process a fresh start per image switch — a fresh process for a
   * filter that ignores end-of-image frames.
   */
  private pick(p: FilterProcess): number | undefined {
    const groups = [...this.queue.keys()];
    const own = groups.findIndex((g) => p.isOn(g));
    if (own >= 0) return groups[own];
    const free = groups.findIndex((g) => !this.processes.some((o) => o !== undefined && o !== p && o.isOn(g)));
    return groups[Math.max(0, free)];
  }

  private take(group: number | undefined): Pending {
    const tiles = this.queue.get(group)!;
    const next = tiles.shift()!;
    if (tiles.length === 0) this.queue.delete(group);
    return next;
  }

  private dispatch(): void {
    for (let i = 0; i < this.processes.length; i++) {
      if (this.queue.size === 0) return;
      // Replace a process that died (a trapping filter kills its process) now that a tile needs it.
      if (!this.processes[i] && !this.closed) this.processes[i] = this.spawn();
      const p = this.processes[i];
      if (!p || p.busy || p.dead) continue;
      const group = this.pick(p);
      let target = p;
      if (p.needsFresh(group)) {
        if (!this.ignoresEndOfImage) {
          this.stats.endOfImageFrames++;
          p.renew(); // dispatches again once acknowledged, or once the process has died
          continue;
        }
        p.kill('was replaced by a fresh process for a new image');
        this.stats.replacedForImage++;
        target = this.processes[i] = this.spawn();
      }
      target.send(this.take(group), this.init.halo, this.init.params);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live].map((p) => p.close()));
  }
}
