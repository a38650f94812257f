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
import { JobSigner } from './auth.js';
import { describeFilter, type FilterForm } from './filter-shipping.js';
import { DATA_TTL_MS, HEARTBEAT_MS, JOB_ATTEMPTS, MAX_RESUBMITS, newRunId, QUEUE_NAME, RETRY_DELAY_MS, RunKeys } from './keys.js';
import { packSource, parseDone, PROTOCOL_VERSION, unpackResult, type TileJobData } from './protocol.js';
import { announceRun, expireRunKeys, heartbeat, retireRun, sweep } from './registry.js';
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
  /** Shared secret: jobs are signed and results checked (see auth.ts); the workers need the same. */
  secret?: string;
}

interface Pending {
  seq: number;
  task: TileTask;
  resolve: (t: TileTimings) => void;
  reject: (e: Error) => void;
  packMs: number;
  sentAt: number;
  checkedAt: number;
  /** BullMQ id of the job now carrying the tile (a resubmitted tile gets a new one). */
  jobId: string;
  /** MAC of that job, when the run is signed: its result must carry the matching one. */
  mac?: string;
  /** Times the tile was submitted again because its job or its bytes were lost (a Redis restart). */
  resubmits: number;
  /** Results refused because they failed authentication. */
  forged: number;
}

const STRAGGLER_MS = 5_000;

/** BullMQ refuses custom job ids that look like integers; a resubmitted tile's job gets a suffix. */
const jobIdOf = (seq: number, submit = 0) => (submit === 0 ? `t${seq}` : `t${seq}.${submit}`);

/** How often the coordinator gives every key of its run a fresh TTL, in heartbeats. */
const EXPIRE_EVERY_BEATS = 3;

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
  /** Flushes in progress: closing waits for them, so no job is enqueued after the run's keys are swept. */
  private readonly flushes = new Set<Promise<void>>();
  /** Tiles sent and not yet settled, by sequence number. */
  private readonly pending = new Map<number, Pending>();
  private readonly signer?: JobSigner;
  private forms: FilterForm[] = [];
  private beats = 0;
  /** The run's keys were found gone (Redis restarted or was flushed): being put back. */
  private restoring?: Promise<void>;
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
    if (options.secret) this.signer = new JobSigner(options.secret);
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
    this.forms = describeFilter(this.options.filter).forms;
    await this.publish();
    this.doneLoop = this.popDone();
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    this.timers.push(setInterval(() => void this.beat(), HEARTBEAT_MS));
    this.timers.push(setInterval(() => void this.watch(), 1_000));
  }

  /** Stores the filter's modules for the workers and announces the run. */
  private async publish(): Promise<void> {
    await Promise.all(this.forms.map((f) => this.redis!.set(this.keys.wasm(f.hash), f.bytes, 'PX', DATA_TTL_MS)));
    await announceRun(this.redis!, this.keys);
  }

  /**
   * Every heartbeat: refresh the `alive` key — and if it was gone, Redis lost the run's keys
   * (a restart without persistence, a flush): put the run back and resubmit what was lost.
   * Every few beats every key of the run gets a fresh TTL, so none outlives a killed coordinator.
   */
  private async beat(): Promise<void> {
    if (this.closing || !this.redis) return;
    try {
      const present = await heartbeat(this.redis, this.keys);
      if (!present) await this.restoreOnce();
      if (++this.beats % EXPIRE_EVERY_BEATS === 0) await expireRunKeys(this.redis, this.keys);
    } catch {
      // Redis is away: the watchdog reports a lasting outage.
    }
  }

  /** Puts the run back after Redis lost its keys: filter, registry, and every tile sent. One at a time. */
  private restoreOnce(): Promise<void> {
    this.restoring ??= (async () => {
      try {
        await this.publish();
      } finally {
        this.restoring = undefined;
      }
      await this.resubmit([...this.pending.values()].filter((p) => p.sentAt > 0), 'lost');
    })();
    return this.restoring;
  }

  run(task: TileTask): Promise<TileTimings> {
    return new Promise((resolve, reject) => {
      if (this.closing) return reject(new Error('the queue executor is closed'));
      const seq = this.seq++;
      this.batch.push({ seq, task, resolve, reject, packMs: 0, sentAt: 0, checkedAt: 0, jobId: jobIdOf(seq), resubmits: 0, forged: 0 });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Every tile submitted in this tick (all tiles of an image, often several images) goes in one batch.
        setImmediate(() => {
          const f = this.flush();
          this.flushes.add(f);
          void f.finally(() => this.flushes.delete(f));
        });
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
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
      return;
    }
    try {
      await this.submit(batch);
    } catch (err) {
      const e = this.redisError(err);
      if (e instanceof TesseraError && e.code === ErrorCode.RedisUnreachable && !this.closing) {
        // A blip (a restart): the tiles wait as stragglers and are resubmitted once Redis
        // answers; the watchdog fails them if it stays away.
        const now = performance.now();
        for (const p of batch) {
          p.sentAt = p.checkedAt = now - STRAGGLER_MS;
          this.pending.set(p.seq, p);
        }
        return;
      }
      for (const p of batch) {
        this.pending.delete(p.seq);
        p.reject(e);
      }
    }
  }

  /** Stores the tiles' bytes and enqueues their jobs (one `addBulk`). */
  private async submit(batch: Pending[]): Promise<void> {
    // The run's keys gone (Redis restarted): put the filter and the registry back before any
    // job arrives that a worker could not run without them.
    if ((await this.redis!.exists(this.keys.alive)) === 0) await this.restoreOnce();
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
      if (this.signer) p.mac = data.mac = this.signer.signJob(data, bytes);
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
          jobId: p.jobId,
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
      this.pending.set(p.seq, p);
    }
    if (this.closing) throw new Error('the queue executor was closed');
    await this.queue!.addBulk(jobs);
    // The jobs BullMQ just created have no TTL until the next refresh: give them one now, so a
    // coordinator killed a moment later leaves nothing that lives for ever.
    await expireRunKeys(this.redis!, this.keys).catch(() => {});
  }

  /**
   * Sends tiles again under new job ids: their jobs or bytes were lost (`lost`, at most
   * MAX_RESUBMITS times a tile) or their results failed authentication (`forged`, at most
   * JOB_ATTEMPTS times). A tile stays pending throughout; if Redis is still away the next
   * check of stragglers tries again.
   */
  private async resubmit(tiles: Pending[], why: 'lost' | 'forged'): Promise<void> {
    const again: Pending[] = [];
    for (const p of tiles) {
      if (why === 'lost' && ++p.resubmits > MAX_RESUBMITS) {
        this.fail(p.seq, `tile job ${p.jobId} was lost from Redis ${MAX_RESUBMITS} times (is Redis restarting, or evicting keys? see its maxmemory-policy)`);
      } else if (why === 'forged' && ++p.forged >= JOB_ATTEMPTS) {
        this.fail(p.seq, `the result of tile ${p.seq} failed authentication ${p.forged} times and was refused (altered in Redis, or written by a worker with another secret)`);
      } else {
        void this.queue?.remove(p.jobId).catch(() => {});
        p.jobId = jobIdOf(p.seq, p.resubmits + p.forged);
        again.push(p);
      }
    }
    if (again.length === 0) return;
    try {
      await this.submit(again);
    } catch {
      const now = performance.now();
      for (const p of again) p.checkedAt = now;
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
          if (failure === undefined) void this.complete(seq);
          else this.fail(seq, failure);
        }
        this.lastRedisOk = Date.now();
      } catch {
        if (this.closing) return;
        await new Promise((r) => setTimeout(r, 200)); // reconnecting; the watchdog reports a lasting outage
      }
    }
  }

  private async complete(seq: number): Promise<void> {
    const p = this.pending.get(seq);
    if (!p) return; // a duplicate, or a tile already settled
    this.pending.delete(seq);
    const t0 = performance.now();
    try {
      const src = this.keys.src(p.seq);
      const dst = this.keys.dst(p.seq);
      const stored = await this.redis!.getBuffer(dst);
      if (!stored) {
        // Gone between the worker's `done` and this read (Redis restarted): run it again.
        this.pending.set(seq, p);
        return void this.resubmit([p], 'lost');
      }
      const result = this.signer ? this.signer.openResult(p.mac!, stored) : stored;
      if (!result) {
        this.pending.set(seq, p);
        void this.redis!.unlink(dst).catch(() => {});
        return void this.resubmit([p], 'forged');
      }
      void this.redis!.unlink(src, dst).catch(() => {});
      const t1 = performance.now();
      unpackResult(result, p.task);
      p.resolve({ splitMs: p.packMs, filterMs: t0 - p.sentAt, assembleMs: performance.now() - t1 });
    } catch (err) {
      const e = this.redisError(err);
      if (e instanceof TesseraError && e.code === ErrorCode.RedisUnreachable && !this.closing) {
        p.checkedAt = performance.now() - STRAGGLER_MS; // looked at again once Redis answers
        this.pending.set(seq, p);
      } else p.reject(e);
    }
  }

  private fail(seq: number, reason: string): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
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
        const id = p.jobId;
        const state = await this.queue!.getJobState(id);
        if (state === 'failed') {
          const job = await this.queue!.getJob(id);
          this.fail(p.seq, job?.failedReason ?? 'failed');
        } else if (state === 'unknown' || state === 'completed') {
          if (await this.redis!.exists(this.keys.dst(p.seq))) void this.complete(p.seq);
          else if (state === 'unknown') await this.resubmit([p], 'lost');
        }
      }
    } catch (err) {
      if (now - this.lastRedisOk > 10_000) this.failAll(this.redisError(err));
    }
  }

  private failAll(err: Error): void {
    for (const [seq, p] of this.pending) {
      this.pending.delete(seq);
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
      await Promise.allSettled([...this.flushes]);
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
