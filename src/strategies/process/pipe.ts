/**
 * `pipe` — the reference's "optimized" rung: tiles stay in memory and stream as
 * binary frames through stdin/stdout of long-lived filter processes (one per worker),
 * each running the filter's WASI command form. Costs over `copy`: framing, two pipe
 * transfers per tile, and a process per worker.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { decodeResponseInto, encodeRequest, responseBytes } from './frame.js';
import type { RunnerInit, TileTask, TileTimings } from '../types.js';
import { WASI_PROCESS_FLAGS, WASI_PROCESS_SCRIPT } from './child-process.js';
import { tileTimeoutError } from '../../executors/deadline.js';
import type { TileExecutor } from '../../executors/types.js';
import { filterText } from '../../filter/filter-text.js';

/** How long a filter process may take to exit after its stdin is closed before it is killed, in ms. */
const EXIT_GRACE_MS = 2000;

interface Pending {
  task: TileTask;
  resolve: (t: TileTimings) => void;
  reject: (e: Error) => void;
}

class FilterProcess {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private chunks: Buffer[] = [];
  private received = 0;
  private stderr = '';
  private current?: { pending: Pending; need: number; splitMs: number; sentAt: number; timer: NodeJS.Timeout };
  private timedOut = false;
  /** Why this process was killed for misbehaving (not for a deadline). */
  private misbehaved: string | undefined;
  dead = false;

  constructor(commandPath: string, private readonly timeoutMs: number, private readonly onIdle: (p: FilterProcess) => void, private readonly onDeath: (p: FilterProcess) => void) {
    this.child = spawn(process.execPath, [...WASI_PROCESS_FLAGS, WASI_PROCESS_SCRIPT, commandPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    this.child.stdin.on('error', () => {}); // reported through 'exit'
    this.child.on('exit', (code, signal) => {
      this.dead = true;
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
    return this.current !== undefined;
  }

  send(pending: Pending, halo: number, params: readonly number[]): void {
    const { task } = pending;
    const t0 = performance.now();
    const frame = encodeRequest(new Uint8Array(task.src!), task.srcOffset, task.srcStride, task.width, task.height, halo, params);
    const t1 = performance.now();
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGKILL');
    }, this.timeoutMs);
    this.current = { pending, need: responseBytes(task.width, task.height), splitMs: t1 - t0, sentAt: t1, timer };
    this.child.stdin.write(frame);
  }

  /** Kills the process for breaking the frame protocol; the tile in flight (if any) fails with `why`. */
  private kill(why: string): void {
    if (this.misbehaved || this.dead) return;
    this.misbehaved = why;
    this.chunks = [];
    this.received = 0;
    this.child.kill('SIGKILL');
  }

  private onData(chunk: Buffer): void {
    const cur = this.current;
    // One frame is in flight at a time: bytes nobody asked for are a filter flooding its
    // stdout, and are never buffered (nor taken for the next tile's answer).
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

  /** Ends its stdin and resolves when it has exited — killed if it does not within {@link EXIT_GRACE_MS}. */
  close(): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const kill = setTimeout(() => this.child.kill('SIGKILL'), EXIT_GRACE_MS);
      this.child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.child.stdin.end();
    });
  }
}

/**
 * Dispatches tiles to `threads` long-lived filter processes, one frame in flight each. A
 * process that dies (a trap, a deadline, a flood) is replaced when the next tile needs it,
 * not at once: a filter whose process dies at every start costs a start per tile, not a loop.
 */
export class PipeExecutor implements TileExecutor {
  private readonly queue: Pending[] = [];
  private readonly processes: Array<FilterProcess | undefined> = [];
  private closed = false;

  constructor(
    private readonly init: RunnerInit,
    readonly threads: number,
    private readonly tileTimeoutMs: number,
  ) {
    if (!init.commandPath) throw new Error('pipe strategy needs the filter\'s WASI command form');
    for (let i = 0; i < threads; i++) this.processes.push(this.spawn());
  }

  private spawn(): FilterProcess {
    return new FilterProcess(this.init.commandPath!, this.tileTimeoutMs, () => this.dispatch(), (dead) => {
      const i = this.processes.indexOf(dead);
      if (i >= 0) this.processes[i] = undefined;
      this.dispatch();
    });
  }

  run(task: TileTask): Promise<TileTimings> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (let i = 0; i < this.processes.length; i++) {
      if (this.queue.length === 0) return;
      // Replace a process that died (a trapping filter kills its process) now that a tile needs it.
      if (!this.processes[i] && !this.closed) this.processes[i] = this.spawn();
      const p = this.processes[i];
      if (p && !p.busy && !p.dead) p.send(this.queue.shift()!, this.init.halo, this.init.params);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.processes.map((p) => p?.close()));
  }
}
