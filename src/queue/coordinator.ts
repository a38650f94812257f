/**
 * `queue` — tiles beyond one machine. The session keeps decoding, planning and assembling;
 * each tile (with its halo) is copied out of the padded source into a Redis value of its
 * own, and the tiles submitted in one tick are enqueued with one `addBulk` as small jobs
 * (keys, sizes, params, the filter's hash) on this run's BullMQ queue. `tessera worker`s
 * filter them, store each result under the tile's result key and push the tile's number
 * on the run's `done` list; popping it makes this side read the result, copy it into the
 * output once and delete both keys. (A `done` list rather than BullMQ's event stream:
 * one small message per tile instead of parsing every job's 3–4 events.)
 *
 * Delivery is at least once (a worker killed mid-tile has its jobs run again elsewhere
 * after ~3 s); assembly is idempotent. Everything the run writes is under its own prefix
 * and deleted at close — also after a failure or Ctrl-C.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { ErrorCode, TesseraError, errorMessage } from '../errors.js';
import { checkRedis, checkRedisUrl, connectRedis, redactUrl } from './connection.js';
import { describeFilter } from './filter-shipping.js';
import { DATA_TTL_MS, HEARTBEAT_MS, JOB_ATTEMPTS, newRunId, QUEUE_NAME, RETRY_DELAY_MS, RunKeys } from './keys.js';
import { packSource, parseDone, PROTOCOL_VERSION, unpackResult, type TileJobData } from './protocol.js';
import { announceRun, heartbeat, retireRun, sweep } from './registry.js';
import type { RunnerInit, TileTask, TileTimings } from '../strategies/types.js';
import type { FilterModule } from '../filter/filter-module.js';
import type { TileExecutor } from '../executors/types.js';

/** Options of a {@link QueueExecutor}. */
export interface QueueExecutorOptions {
  /** Redis URL shared with the workers. */
  redis: string;
  /** The loaded filter (its bytes are stored for the workers by hash). */
  filter: FilterModule;
  tileTimeoutMs: number;
  /** Fail the pending tiles when no worker has served this run's queue for this long. @defaultValue 30000 */
  noWorkersTimeoutMs?: number;
  /** Nominal parallelism reported as `threads`. */
  threads?: number;
}

interface Pending {
  seq: number;
  task: TileTask;
  resolve: (t: TileTimings) => void;
  reject: (e: Error) => void;
  packMs: number;
  sentAt: number;
  checkedAt: number;
}

const STRAGGLER_MS = 5_000;

/** BullMQ refuses custom job ids that look like integers. */
const jobIdOf = (seq: number) => `t${seq}`;

/** Runs tiles as BullMQ jobs served by `tessera worker` processes. */
export class QueueExecutor implements TileExecutor {
  readonly threads: number;
  readonly keys: RunKeys;
  private readonly url: string;
  private readonly opened: Promise<void>;
  private redis?: Redis;
  private queue?: Queue;
  /** Blocking connection popping the `done` list. */
  private doneConnection?: Redis;
  private doneLoop?: Promise<void>;
  /** Packed source buffers, reused once Redis has them. */
  private readonly buffers: Buffer[] = [];
  private seq = 0;
  private batch: Pending[] = [];
  private flushScheduled = false;
  private readonly pending = new Map<string, Pending>();
  private timers: NodeJS.Timeout[] = [];
  private closing?: Promise<void>;
  private noWorkersSince?: number;
  private lastRedisOk = Date.now();
  private readonly jobBase: Omit<TileJobData, 'seq' | 'src' | 'dst' | 'width' | 'height'>;
  private readonly onSignal = (signal: NodeJS.Signals) => this.interrupted(signal);

  constructor(
    init: RunnerInit,
    private readonly options: QueueExecutorOptions,
  ) {
    this.url = checkRedisUrl(options.redis);
    this.threads = options.threads ?? 1;
    this.keys = new RunKeys(newRunId());
    const { ref } = describeFilter(options.filter);
    this.jobBase = {
      v: PROTOCOL_VERSION,
      run: this.keys.runId,
      halo: init.halo,
      params: init.params,
      filter: ref,
      maxMemoryPages: init.maxMemoryPages,
      isolation: init.isolation ?? 'pooled',
      tileTimeoutMs: options.tileTimeoutMs,
      ttlMs: DATA_TTL_MS,
    };
    this.opened = this.open();
    this.opened.catch(() => {}); // reported by ready() and run()
  }

  /** Resolves once Redis answered and the run is announced; rejects with a clear error otherwise. */
  ready(): Promise<void> {
    return this.opened;
  }

  private async open(): Promise<void> {
    await checkRedis(this.url);
    if (this.closing) throw new Error('executor closed');
    this.redis = connectRedis(this.url, 'commands', `tessera-run:${this.keys.runId}`);
    // Nobody reads the run's BullMQ event stream (completions come through the `done` list): keep it short.
    this.queue = new Queue(QUEUE_NAME, { connection: this.redis, prefix: this.keys.prefix, streams: { events: { maxLen: 100 } } });
    this.queue.on('error', () => {});
    this.doneConnection = connectRedis(this.url, 'blocking', `tessera-run:${this.keys.runId}:done`);
    await this.queue.waitUntilReady();
    const { forms } = describeFilter(this.options.filter);
    await Promise.all(forms.map((f) => this.redis!.set(this.keys.wasm(f.hash), f.bytes, 'PX', DATA_TTL_MS)));
    await announceRun(this.redis, this.keys);
    this.doneLoop = this.popDone();
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    this.timers.push(setInterval(() => void heartbeat(this.redis!, this.keys).catch(() => {}), HEARTBEAT_MS));
    this.timers.push(setInterval(() => void this.watch(), 1_000));
  }

  run(task: TileTask): Promise<TileTimings> {
    return new Promise((resolve, reject) => {
      if (this.closing) return reject(new Error('the queue executor is closed'));
      this.batch.push({ seq: this.seq++, task, resolve, reject, packMs: 0, sentAt: 0, checkedAt: 0 });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Every tile submitted in this tick (all tiles of an image, often several images) goes in one batch.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    try {
      await this.opened;
      const sets: Array<Promise<unknown>> = [];
      const jobs: Array<{ name: string; data: TileJobData; opts: JobsOptions }> = [];
      for (const p of batch) {
        const t0 = performance.now();
        const bytes = packSource(p.task, this.jobBase.halo, this.buffers.pop());
        p.packMs = performance.now() - t0;
        const data: TileJobData = {
          ...this.jobBase,
          seq: p.seq,
          src: this.keys.src(p.seq),
          dst: this.keys.dst(p.seq),
          width: p.task.width,
          height: p.task.height,
          image: p.task.group,
        };
        // Plain commands, not a pipeline: ioredis would concatenate the whole batch into one more copy.
        sets.push(
          this.redis!.set(data.src, bytes, 'PX', DATA_TTL_MS).finally(() => {
            if (this.buffers.length < 64) this.buffers.push(bytes);
          }),
        );
        jobs.push({
          name: 'tile',
          data,
          opts: {
            jobId: jobIdOf(p.seq),
            attempts: JOB_ATTEMPTS,
            backoff: { type: 'exponential', delay: RETRY_DELAY_MS },
            removeOnComplete: true,
            removeOnFail: false,
          },
        });
      }
      await Promise.all(sets);
      const now = performance.now();
      for (const p of batch) {
        p.sentAt = now;
        p.checkedAt = now;
        this.pending.set(jobIdOf(p.seq), p);
      }
      await this.queue!.addBulk(jobs);
    } catch (err) {
      const e = this.redisError(err);
      for (const p of batch) {
        this.pending.delete(jobIdOf(p.seq));
        p.reject(e);
      }
    }
  }

  private redisError(err: unknown): Error {
    if (err instanceof TesseraError && err.code === ErrorCode.RedisUnreachable) return err;
    const msg = errorMessage(err);
    if (/ECONNREFUSED|ETIMEDOUT|Connection is closed|max retries|ENOTFOUND|EHOSTUNREACH/i.test(msg)) {
      return new TesseraError(ErrorCode.RedisUnreachable, `lost Redis at ${redactUrl(this.url)}: ${msg}`, { cause: err });
    }
    return err instanceof Error ? err : new Error(msg);
  }

  /** Pops finished tiles until the executor closes. */
  private async popDone(): Promise<void> {
    const conn = this.doneConnection!;
    while (!this.closing) {
      try {
        const first = await conn.blpop(this.keys.done, 1);
        if (!first) continue;
        const more = (await conn.lpop(this.keys.done, 512)) ?? [];
        for (const message of [first[1], ...more]) {
          const { seq, failure } = parseDone(message);
          if (failure === undefined) void this.complete(jobIdOf(seq));
          else this.fail(jobIdOf(seq), failure);
        }
        this.lastRedisOk = Date.now();
      } catch {
        if (this.closing) return;
        await new Promise((r) => setTimeout(r, 200)); // reconnecting; the watchdog reports a lasting outage
      }
    }
  }

  private async complete(jobId: string): Promise<void> {
    const p = this.pending.get(jobId);
    if (!p) return; // a duplicate, or a tile already settled
    this.pending.delete(jobId);
    const t0 = performance.now();
    try {
      const src = this.keys.src(p.seq);
      const dst = this.keys.dst(p.seq);
      const got = this.redis!.getBuffer(dst);
      void this.redis!.unlink(src, dst).catch(() => {});
      const result = await got;
      if (!result) throw new Error(`the result of tile job ${jobId} is missing from Redis`);
      const t1 = performance.now();
      unpackResult(result, p.task);
      p.resolve({ splitMs: p.packMs, filterMs: t0 - p.sentAt, assembleMs: performance.now() - t1 });
    } catch (err) {
      p.reject(this.redisError(err));
    }
  }

  private fail(jobId: string, reason: string): void {
    const p = this.pending.get(jobId);
    if (!p) return;
    this.pending.delete(jobId);
    const hint = /stalled more than allowable limit/.test(reason) ? ' (the workers running it died repeatedly)' : '';
    p.reject(new Error(`${reason}${hint}`));
    void this.redis?.unlink(this.keys.src(p.seq), this.keys.dst(p.seq)).catch(() => {});
  }

  /** Once a second while tiles are pending: workers present? Redis answering? Stragglers settled? */
  private async watch(): Promise<void> {
    if (this.pending.size === 0 || this.closing) {
      this.noWorkersSince = undefined;
      return;
    }
    const now = Date.now();
    try {
      const workers = await this.queue!.getWorkersCount();
      this.lastRedisOk = now;
      if (workers > 0) this.noWorkersSince = undefined;
      else this.noWorkersSince ??= now;
      const limit = this.options.noWorkersTimeoutMs ?? 30_000;
      if (this.noWorkersSince !== undefined && now - this.noWorkersSince > limit) {
        this.failAll(
          new Error(
            `no tessera worker took tiles from Redis at ${redactUrl(this.url)} for ${Math.round(limit / 1000)} s. Possible solutions:\n` +
              `- start workers: tessera worker --redis ${redactUrl(this.url)}\n- check that they reach the same Redis`,
          ),
        );
        this.noWorkersSince = undefined; // later tiles get their own wait
        return;
      }
      // A tile whose `done` message never came (its worker died between finishing and telling,
      // or the job failed by stalling too often): confirm old tiles' state directly.
      const t = performance.now();
      const old = [...this.pending.values()].filter((p) => t - p.checkedAt > STRAGGLER_MS).slice(0, 32);
      for (const p of old) {
        p.checkedAt = t;
        const id = jobIdOf(p.seq);
        const state = await this.queue!.getJobState(id);
        if (state === 'failed') {
          const job = await this.queue!.getJob(id);
          this.fail(id, job?.failedReason ?? 'failed');
        } else if (state === 'unknown' || state === 'completed') {
          if (await this.redis!.exists(this.keys.dst(p.seq))) void this.complete(id);
          else if (state === 'unknown') this.fail(id, `tile job ${id} vanished from the queue`);
        }
      }
    } catch (err) {
      if (now - this.lastRedisOk > 10_000) this.failAll(this.redisError(err));
    }
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(err);
    }
  }

  private interrupted(signal: NodeJS.Signals): void {
    // Delete the run's keys, then let the signal do what it would have done.
    const cap = new Promise((r) => setTimeout(r, 3_000).unref());
    void Promise.race([this.close(), cap]).finally(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }

  /** Fails what is still pending, retires the run (its keys are deleted) and disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      for (const t of this.timers) clearInterval(t);
      const closed = new Error('the queue executor was closed');
      for (const p of this.batch) p.reject(closed);
      this.batch = [];
      this.failAll(closed);
      try {
        await this.opened;
      } catch {
        this.redis?.disconnect();
        this.doneConnection?.disconnect();
        return;
      }
      try {
        await retireRun(this.redis!, this.keys);
      } catch {
        // Redis is gone: the keys expire (tile bytes) or are swept by a worker (the queue's).
      }
      this.doneConnection?.disconnect();
      await this.doneLoop;
      await this.queue?.close().catch(() => {});
      // Anything a worker wrote while leaving the run.
      await sweep(this.redis!, this.keys.pattern).catch(() => {});
      await this.redis!.quit().catch(() => this.redis?.disconnect());
    })();
    return this.closing;
  }
}
