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

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
    const cur = this.current;
    if (!cur || this.received < cur.need) return;
    const all = Buffer.concat(this.chunks, this.received);
    const t2 = performance.now();
    const { task } = cur.pending;
    clearTimeout(cur.timer);
    this.current = undefined;
    this.chunks = all.length > cur.need ? [all.subarray(cur.need)] : [];
    this.received = all.length - cur.need;
    try {
      decodeResponseInto(all.subarray(0, cur.need), task.width, task.height, new Uint8Array(task.dst!), task.dstOffset, task.dstStride);
      cur.pending.resolve({ splitMs: cur.splitMs, filterMs: t2 - cur.sentAt, assembleMs: performance.now() - t2 });
    } catch (err) {
      cur.pending.reject(err as Error);
    }
    this.onIdle(this);
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** Dispatches tiles to `threads` long-lived filter processes, one frame in flight each. */
export class PipeExecutor implements TileExecutor {
  private readonly queue: Pending[] = [];
  private readonly processes: FilterProcess[] = [];
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
      // Replace a process that died (a trapping filter kills its process) so later tiles still run.
      if (i >= 0 && !this.closed) this.processes[i] = this.spawn();
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
    for (const p of this.processes) {
      if (this.queue.length === 0) return;
      if (!p.busy && !p.dead) p.send(this.queue.shift()!, this.init.halo, this.init.params);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.processes.map((p) => (p.dead ? undefined : new Promise<void>((resolve) => {
        p.child.once('exit', () => resolve());
        p.close();
      }))),
    );
  }
}
