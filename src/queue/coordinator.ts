/**
 * `queue` — images beyond one machine. The coordinator puts each image's input under a key
 * of its own (or names its path on a shared directory), enqueues the jobs submitted in one
 * tick with one `addBulk` on this run's BullMQ queue, and waits: `tessera worker`s decode,
 * filter and encode whole images, store each output under its key and push the image's
 * number and report on the run's `done` list; popping it makes this side read the output
 * and delete the keys. (A `done` list rather than BullMQ's event stream: one small message
 * per image instead of parsing every job's events.)
 *
 * Delivery is at least once (a worker killed mid-image has its job run again elsewhere after
 * ~3 s); the first answer wins. Everything the run writes is under its own prefix, carries
 * a TTL refreshed while the coordinator lives, and is deleted at close — also after a
 * failure or Ctrl-C. Redis coming back empty (a restart) is noticed and what it lost is
 * resubmitted.
 */
import type { JobsOptions, Queue as BullQueue } from 'bullmq';
import { Queue } from './bullmq.js';
import type { Redis } from 'ioredis';
import { ErrorCode, TesseraError, errorMessage } from '../errors.js';
import type { FilterModule } from '../filter/filter-module.js';
import { JobSigner } from './auth.js';
import { checkRedis, checkRedisUrl, connectRedis, redactUrl } from './connection.js';
import { describeFilter, type FilterForm } from './filter-shipping.js';
import { DATA_TTL_MS, HEARTBEAT_MS, JOB_ATTEMPTS, MAX_RESUBMITS, newRunId, QUEUE_NAME, RETRY_DELAY_MS, RunKeys } from './keys.js';
import { parseDone, PROTOCOL_VERSION, type FilterRef, type ImageDone, type ImageJobData } from './protocol.js';
import { announceRun, expireRunKeys, heartbeat, retireRun, sweep } from './registry.js';

/** Options of a {@link QueueCoordinator}. */
export interface QueueCoordinatorOptions {
  /** Redis URL shared with the workers. */
  redis: string;
  /** The loaded filter (its bytes are stored for the workers by hash). */
  filter: FilterModule;
  /** Shared secret: jobs are signed and results checked (see auth.ts); the workers need the same. */
  secret?: string;
  /** Fail what is pending when no worker has served this run's queue for this long. @defaultValue 30000 */
  noWorkersTimeoutMs?: number;
  /** What the run's jobs share, announced with the run so that workers can start their session before the first image. */
  session?: SessionJobFields;
}

/** The fields of an image job that differ from image to image. */
export type ImageJobFields = Pick<ImageJobData, 'transport' | 'name' | 'inputBytes' | 'width' | 'height' | 'halo' | 'y0' | 'input' | 'output' | 'ext'>;

/** The fields every job of a session shares. */
export type SessionJobFields = Pick<ImageJobData, 'params' | 'tileSize' | 'maxPixels' | 'filterMemoryMb' | 'tileTimeoutMs' | 'encode'>;

/** What came back for an image: the worker's report and, unless it wrote to the shared directory, the output's bytes. */
export interface ImageAnswer {
  done: ImageDone;
  bytes?: Uint8Array;
}

interface Pending {
  seq: number;
  data: ImageJobData;
  /** The input's bytes (read again for every submission, so the coordinator holds none while waiting). */
  readInput?: () => Promise<Uint8Array>;
  resolve: (a: ImageAnswer) => void;
  reject: (e: Error) => void;
  sentAt: number;
  checkedAt: number;
  jobId: string;
  resubmits: number;
  forged: number;
}

const STRAGGLER_MS = 5_000;
/** How often the coordinator gives every key of its run a fresh TTL, in heartbeats. */
const EXPIRE_EVERY_BEATS = 3;

/** BullMQ refuses custom job ids that look like integers; a resubmitted image's job gets a suffix. */
const jobIdOf = (seq: number, submit = 0) => (submit === 0 ? `i${seq}` : `i${seq}.${submit}`);

/** Runs images as BullMQ jobs served by `tessera worker` processes. */
export class QueueCoordinator {
  readonly keys: RunKeys;
  private readonly url: string;
  private readonly opened: Promise<void>;
  private readonly ref: FilterRef;
  private readonly signer?: JobSigner;
  private redis?: Redis;
  private queue?: BullQueue;
  /** Blocking connection popping the `done` list. */
  private doneConnection?: Redis;
  private doneLoop?: Promise<void>;
  private seq = 0;
  private batch: Pending[] = [];
  private flushScheduled = false;
  private readonly flushes = new Set<Promise<void>>();
  /** Images sent and not yet settled, by sequence number. */
  private readonly pending = new Map<number, Pending>();
  /** The filter's modules, read and hashed once: stored again if Redis loses them. */
  private readonly forms: FilterForm[];
  private beats = 0;
  private restoring?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  private closing?: Promise<void>;
  private noWorkersSince?: number;
  private lastRedisOk = Date.now();
  private readonly onSignal = (signal: NodeJS.Signals) => this.interrupted(signal);

  constructor(private readonly options: QueueCoordinatorOptions) {
    this.url = checkRedisUrl(options.redis);
    this.keys = new RunKeys(newRunId());
    ({ ref: this.ref, forms: this.forms } = describeFilter(options.filter));
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
    if (this.closing) throw new Error('coordinator closed');
    this.redis = connectRedis(this.url, 'commands', `tessera-run:${this.keys.runId}`);
    // Nobody reads the run's BullMQ event stream (completions come through the `done` list): keep it short.
    this.queue = new Queue(QUEUE_NAME, { connection: this.redis, prefix: this.keys.prefix, streams: { events: { maxLen: 100 } } });
    this.queue.on('error', () => {});
    this.doneConnection = connectRedis(this.url, 'blocking', `tessera-run:${this.keys.runId}:done`);
    await this.queue.waitUntilReady();
    await this.publish();
    this.doneLoop = this.popDone();
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    this.timers.push(setInterval(() => void this.beat(), HEARTBEAT_MS));
    this.timers.push(setInterval(() => void this.watch(), 1_000));
  }

  /** Stores the filter's modules (and what the jobs share) for the workers and announces the run. */
  private async publish(): Promise<void> {
    const shared = this.options.session ? { ...this.options.session, filter: this.ref } : undefined;
    if (shared && this.signer) Object.assign(shared, { mac: this.signer.signJob(shared, new Uint8Array(0)) });
    const settings = shared ? [this.redis!.set(this.keys.settings, JSON.stringify(shared), 'PX', DATA_TTL_MS)] : [];
    await Promise.all([...this.forms.map((f) => this.redis!.set(this.keys.wasm(f.hash), f.bytes, 'PX', DATA_TTL_MS)), ...settings]);
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
      if (!(await heartbeat(this.redis, this.keys))) await this.restoreOnce();
      if (++this.beats % EXPIRE_EVERY_BEATS === 0) await expireRunKeys(this.redis, this.keys);
    } catch {
      // Redis is away: the watchdog reports a lasting outage.
    }
  }

  /** Puts the run back after Redis lost its keys: filter, registry, and every image sent. One at a time. */
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

  /**
   * Runs one image on the workers. `readInput` gives the bytes to store under the image's
   * input key (`bytes`, `raw`, `band`), or is absent when the worker reads a shared path.
   * Rejects with the worker's reason when the image failed for good.
   */
  run(fields: ImageJobFields, session: SessionJobFields, readInput?: () => Promise<Uint8Array>): Promise<ImageAnswer> {
    return new Promise((resolve, reject) => {
      if (this.closing) return reject(new Error('the queue coordinator is closed'));
      const seq = this.seq++;
      const data: ImageJobData = { v: PROTOCOL_VERSION, run: this.keys.runId, seq, ...fields, ...session, filter: this.ref, ttlMs: DATA_TTL_MS };
      this.batch.push({ seq, data, readInput, resolve, reject, sentAt: 0, checkedAt: 0, jobId: jobIdOf(seq), resubmits: 0, forged: 0 });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Every image submitted in this tick goes in one batch.
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
        // A blip (a restart): the images wait as stragglers and are resubmitted once Redis
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

  /** Stores the images' inputs and enqueues their jobs (one `addBulk`). */
  private async submit(batch: Pending[]): Promise<void> {
    // The run's keys gone (Redis restarted): put the filter and the registry back before any
    // job arrives that a worker could not run without them.
    if ((await this.redis!.exists(this.keys.alive)) === 0) await this.restoreOnce();
    const jobs: Array<{ name: string; data: ImageJobData; opts: JobsOptions }> = [];
    const sent: Pending[] = [];
    await Promise.all(
      batch.map(async (p) => {
        let input: Uint8Array | undefined;
        try {
          input = p.readInput ? await p.readInput() : undefined;
        } catch (err) {
          // This image's file, not the run: it fails alone.
          this.pending.delete(p.seq);
          return p.reject(err as Error);
        }
        sent.push(p);
        if (this.signer) p.data.mac = this.signer.signJob({ ...p.data, mac: undefined }, input ?? new Uint8Array(0));
        if (input) await this.redis!.set(this.keys.input(p.seq), Buffer.from(input.buffer, input.byteOffset, input.byteLength), 'PX', DATA_TTL_MS);
        jobs.push({
          name: 'image',
          data: p.data,
          opts: { jobId: p.jobId, attempts: JOB_ATTEMPTS, backoff: { type: 'exponential', delay: RETRY_DELAY_MS }, removeOnComplete: true, removeOnFail: false },
        });
      }),
    );
    const now = performance.now();
    for (const p of sent) {
      p.sentAt = now;
      p.checkedAt = now;
      this.pending.set(p.seq, p);
    }
    if (this.closing) throw new Error('the queue coordinator was closed');
    if (jobs.length === 0) return;
    await this.queue!.addBulk(jobs);
    // The jobs BullMQ just created have no TTL until the next refresh: give them one now, so a
    // coordinator killed a moment later leaves nothing that lives for ever.
    await expireRunKeys(this.redis!, this.keys).catch(() => {});
  }

  /**
   * Sends images again under new job ids: their jobs or bytes were lost (`lost`, at most
   * MAX_RESUBMITS times an image) or their results failed authentication (`forged`, at most
   * JOB_ATTEMPTS times). An image stays pending throughout; if Redis is still away the next
   * check of stragglers tries again.
   */
  private async resubmit(images: Pending[], why: 'lost' | 'forged'): Promise<void> {
    const again: Pending[] = [];
    for (const p of images) {
      if (why === 'lost' && ++p.resubmits > MAX_RESUBMITS) {
        this.fail(p.seq, `image job ${p.jobId} was lost from Redis ${MAX_RESUBMITS} times (is Redis restarting, or evicting keys? see its maxmemory-policy)`);
      } else if (why === 'forged' && ++p.forged >= JOB_ATTEMPTS) {
        this.fail(p.seq, `its output failed authentication ${p.forged} times and was refused (altered in Redis, or written by a worker with another secret)`);
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

  /** Pops finished images until the coordinator closes. */
  private async popDone(): Promise<void> {
    const conn = this.doneConnection!;
    while (!this.closing) {
      try {
        const first = await conn.blpop(this.keys.done, 1);
        if (!first) continue;
        const more = (await conn.lpop(this.keys.done, 512)) ?? [];
        for (const message of [first[1], ...more]) {
          const m = parseDone(message);
          if (!m) continue; // not a tessera message: someone else wrote to the list
          if ('failure' in m) this.fail(m.seq, m.failure);
          else void this.complete(m.seq, m.done, message.slice(message.indexOf('\t') + 1));
        }
        this.lastRedisOk = Date.now();
      } catch {
        if (this.closing) return;
        await new Promise((r) => setTimeout(r, 200)); // reconnecting; the watchdog reports a lasting outage
      }
    }
  }

  private async complete(seq: number, done: ImageDone, report: string): Promise<void> {
    const p = this.pending.get(seq);
    if (!p) return; // a duplicate, or an image already settled
    this.pending.delete(seq);
    try {
      const key = this.keys.output(p.seq);
      const stored = await this.redis!.getBuffer(key);
      if (!stored) {
        // Gone between the worker's `done` and this read (Redis restarted): run it again.
        this.pending.set(seq, p);
        return void this.resubmit([p], 'lost');
      }
      const bytes = this.signer ? this.signer.openResult(p.data.mac!, stored, report) : stored;
      if (!bytes) {
        this.pending.set(seq, p);
        void this.redis!.unlink(key).catch(() => {});
        return void this.resubmit([p], 'forged');
      }
      void this.redis!.unlink(this.keys.input(p.seq), key).catch(() => {});
      p.resolve({ done, bytes: p.data.transport === 'shared' ? undefined : bytes });
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
    void this.redis?.unlink(this.keys.input(p.seq), this.keys.output(p.seq)).catch(() => {});
  }

  /** Once a second while images are pending: workers present? Redis answering? Stragglers settled? */
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
            `no tessera worker took images from Redis at ${redactUrl(this.url)} for ${Math.round(limit / 1000)} s. Possible solutions:\n` +
              `- start workers: tessera worker --redis ${redactUrl(this.url)}\n- check that they reach the same Redis`,
          ),
        );
        this.noWorkersSince = undefined; // later images get their own wait
        return;
      }
      // An image whose `done` message never came (its worker died between finishing and telling,
      // the job failed by stalling too often, or Redis lost it): confirm old images' state directly.
      const t = performance.now();
      const old = [...this.pending.values()].filter((p) => t - p.checkedAt > STRAGGLER_MS).slice(0, 32);
      for (const p of old) {
        p.checkedAt = t;
        const state = await this.queue!.getJobState(p.jobId);
        if (state === 'failed') {
          const job = await this.queue!.getJob(p.jobId);
          this.fail(p.seq, job?.failedReason ?? 'failed');
        } else if (state === 'unknown' || state === 'completed') {
          // Completed without a `done` message (or gone): the output tells, else run it again.
          if (!(await this.redis!.exists(this.keys.output(p.seq)))) await this.resubmit([p], 'lost');
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
      for (const t of this.timers) clearInterval(t);
      const closed = new Error('the queue coordinator was closed');
      for (const p of this.batch) p.reject(closed);
      this.batch = [];
      this.failAll(closed);
      await Promise.allSettled([...this.flushes]);
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
        // Redis is gone: the keys expire, or are swept by a worker.
      }
      this.doneConnection?.disconnect();
      await this.doneLoop;
      await this.queue?.close().catch(() => {});
      // Anything a worker wrote while leaving the run.
      await sweep(this.redis!, this.keys.pattern).catch(() => {});
      await this.redis!.quit().catch(() => this.redis?.disconnect());
    })().finally(() => {
      // Only now: while this handler is registered, the temporary-file cleanup (io/cleanup.ts)
      // leaves re-raising an interrupt to it, so the run is retired before the process ends.
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
    });
    return this.closing;
  }
}
