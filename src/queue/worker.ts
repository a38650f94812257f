/**
 * `tessera worker`: pulls tile jobs of every run in progress on one Redis, filters them on
 * its own worker-thread pool and stores the results. One BullMQ Worker per run (each run
 * has its own queue); runs are found through the registry and its pub/sub channel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ErrorCode, TesseraError, errorMessage } from '../errors.js';
import { filterHalo, type FilterModule } from '../filter/filter-module.js';
import { DEFAULT_FILTER_MEMORY_MB, DEFAULT_TILE_TIMEOUT_MS } from '../pipeline/defaults.js';
import { JobSigner } from './auth.js';
import { checkJobFilter, checkJobShape, type CheckedJob, type WorkerLimits } from './job-check.js';
import { bullConnection, checkRedis, checkRedisUrl, connectRedis, redactUrl } from './connection.js';
import { engineKey, TileEngine } from './engine.js';
import type { ThreadStrategy } from '../strategies/types.js';
import { FilterCache, LostFromRedis } from './filter-shipping.js';
import {
  DATA_TTL_MS, DISCOVERY_INTERVAL_MS, LOCK_DURATION_MS, MAX_STALLED_COUNT, QUEUE_NAME, RUNS_CHANNEL, RunKeys, STALLED_INTERVAL_MS,
} from './keys.js';
import { doneMessage, sourceBytes, type TileJobData } from './protocol.js';
import { listRuns, reapRun, sweep } from './registry.js';

/** How long after leaving an ended run a worker sweeps its keys a second time, in ms. */
const LATE_SWEEP_MS = 1500;

/** Options of a worker node. */
export interface TileWorkerOptions {
  redis: string;
  /** Tiles filtered at once: the size of the thread pool. @defaultValue os.availableParallelism() */
  concurrency?: number;
  /** How this worker runs tiles. @defaultValue 'copy' */
  strategy?: ThreadStrategy;
  /** Jobs taken beyond those running, so fetching the next tile overlaps filtering this one. @defaultValue concurrency */
  prefetch?: number;
  /** Where progress lines go. @defaultValue stderr */
  log?: (line: string) => void;
  /** One progress line per this many ms with work in it. @defaultValue 1000 */
  logIntervalMs?: number;
  /** Name in logs and in error messages. @defaultValue host:pid */
  name?: string;
  /**
   * Shared secret: jobs must carry its MAC (over their fields and source bytes) and results
   * carry one back. Without it, signed jobs are refused (this worker could not check them).
   */
  secret?: string;
  /** Memory cap of a filter on this worker, MB; a job asking for more gets this. @defaultValue 256 */
  maxFilterMemoryMb?: number;
  /** Longest per-tile deadline this worker grants, ms; a job asking for more gets this. @defaultValue 6 × the default deadline */
  maxTileTimeoutMs?: number;
}

interface RunState {
  keys: RunKeys;
  worker: Worker;
}

/** Engines kept alive for reuse (one pool per filter+params). */
const MAX_ENGINES = 3;
const ENGINE_IDLE_MS = 60_000;

/** A worker process's tile-serving loop. */
export class TileWorkerNode {
  readonly name: string;
  readonly concurrency: number;
  readonly strategy: ThreadStrategy;
  private readonly url: string;
  private readonly prefetch: number;
  private readonly log: (line: string) => void;
  private readonly logIntervalMs: number;
  private redis?: Redis;
  private subscriber?: Redis;
  private filters?: FilterCache;
  private readonly tmp = mkdtempSync(join(tmpdir(), 'tessera-worker-'));
  private readonly runs = new Map<string, RunState>();
  private readonly engines = new Map<string, TileEngine>();
  private discoverTimer?: NodeJS.Timeout;
  private logTimer?: NodeJS.Timeout;
  private discovering?: Promise<void>;
  /** A notice arrived during a discovery: run another when it ends. */
  private rediscover = false;
  private closing?: Promise<void>;
  private readonly limits: WorkerLimits;
  private readonly signer?: JobSigner;
  /** Halo of a filter at given params (asked once, in the probe): a job must state the same. */
  private readonly halos = new Map<string, number>();
  private stats = { done: 0, failed: 0, filterMs: 0, ioMs: 0, runs: new Set<string>(), lastError: '' };
  private total = 0;

  constructor(options: TileWorkerOptions) {
    this.url = checkRedisUrl(options.redis);
    this.concurrency = options.concurrency ?? availableParallelism();
    this.strategy = options.strategy ?? 'copy';
    this.prefetch = options.prefetch ?? this.concurrency;
    this.log = options.log ?? ((line) => process.stderr.write(line + '\n'));
    this.logIntervalMs = options.logIntervalMs ?? 1000;
    this.name = options.name ?? `${hostname()}:${process.pid}`;
    this.limits = {
      maxMemoryPages: Math.floor(((options.maxFilterMemoryMb ?? DEFAULT_FILTER_MEMORY_MB) * 2 ** 20) / 65536),
      maxTileTimeoutMs: options.maxTileTimeoutMs ?? 6 * DEFAULT_TILE_TIMEOUT_MS,
      maxTtlMs: DATA_TTL_MS,
    };
    if (options.secret) this.signer = new JobSigner(options.secret);
  }

  /** Tiles finished since start. */
  get tilesDone(): number {
    return this.total;
  }

  /**
   * Connects (failing fast with a clear error when Redis cannot be reached) and starts
   * serving every run announced now or later.
   * @throws TesseraError RedisUnreachable
   */
  async start(): Promise<void> {
    await checkRedis(this.url);
    this.redis = connectRedis(this.url, 'blocking', `tessera-worker:${this.name}`);
    this.filters = new FilterCache(this.redis, join(this.tmp, 'filters'));
    this.subscriber = connectRedis(this.url, 'blocking');
    this.subscriber.on('message', (_channel: string, message: string) => {
      const [what, id] = message.split(' ');
      if (what === 'end' && id) void this.leave(id);
      else void this.discover();
    });
    await this.subscriber.subscribe(RUNS_CHANNEL);
    await this.discover();
    this.discoverTimer = setInterval(() => void this.discover(), DISCOVERY_INTERVAL_MS);
    this.logTimer = setInterval(() => this.report(), this.logIntervalMs);
    this.log(`tessera worker ${this.name}: serving ${redactUrl(this.url)} with ${this.concurrency} thread${this.concurrency > 1 ? 's' : ''} (${this.strategy}${this.signer ? ', signed jobs only' : ''})`);
  }

  private discover(): Promise<void> {
    // One discovery at a time; a notice during one schedules another right after (a run
    // that ends while one is reading the registry is then left at once, not a second later).
    if (this.discovering) {
      this.rediscover = true;
      return this.discovering;
    }
    this.discovering = (async () => {
      try {
        if (this.closing || !this.redis) return;
        const { live, dead } = await listRuns(this.redis);
        for (const id of live) if (!this.runs.has(id)) this.join(id);
        for (const id of dead) {
          // Dead, or being retired (its alive key is gone before it leaves the registry): over either way,
          // and what this worker's BullMQ client wrote into it after the coordinator's sweep (a job's
          // completion recreates the queue's meta) is swept once the client is closed.
          await this.leave(id, true);
          if (await reapRun(this.redis, id)) this.log(`tessera worker ${this.name}: swept run ${id} (its coordinator stopped answering)`);
        }
        for (const id of [...this.runs.keys()]) if (!live.includes(id)) await this.leave(id, true);
      } catch (err) {
        this.stats.lastError = `discovery: ${errorMessage(err)}`;
      } finally {
        this.discovering = undefined;
        if (this.rediscover && !this.closing) {
          this.rediscover = false;
          void this.discover();
        }
      }
    })();
    return this.discovering;
  }

  private join(runId: string): void {
    if (this.closing) return;
    const keys = new RunKeys(runId);
    const worker = new Worker<TileJobData>(QUEUE_NAME, (job) => this.process(job, keys), {
      connection: bullConnection(this.url),
      prefix: keys.prefix,
      name: this.name,
      concurrency: this.concurrency + this.prefetch,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
      drainDelay: 1,
    });
    worker.on('error', (err) => (this.stats.lastError = errorMessage(err)));
    this.runs.set(runId, { keys, worker });
  }

  /**
   * Stops serving a run. With `ended` (its coordinator has deregistered it and swept its
   * keys), whatever this worker's queue client wrote after that sweep — BullMQ writes the
   * queue's `meta` as a worker starts, and a run that fails fast can end while this one is
   * still starting — is swept too, so no key outlives its run.
   */
  private async leave(runId: string, ended = false): Promise<void> {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.delete(runId);
    try {
      // Lets jobs in progress finish; their results are simply not read any more.
      await run.worker.close();
    } catch {
      // closing anyway
    }
    if (ended && this.redis) {
      const redis = this.redis;
      // Only a run still over: one that vanished because Redis restarted is put back by its
      // coordinator within a heartbeat, and its restored keys must not be swept.
      const sweepIfOver = async () => {
        if ((await redis.exists(run.keys.alive)) === 0) await sweep(redis, run.keys.pattern);
      };
      await sweepIfOver().catch(() => {});
      // BullMQ may still write the queue's meta a moment after close() resolves: sweep once more, later.
      setTimeout(() => void sweepIfOver().catch(() => {}), LATE_SWEEP_MS).unref();
    }
  }

  private async process(job: Job<TileJobData>, keys: RunKeys): Promise<number> {
    const data = job.data;
    const attempts = job.opts.attempts ?? 1;
    try {
      return await this.attempt(job, keys);
    } catch (err) {
      this.stats.failed++;
      if (err instanceof LostFromRedis) {
        // No verdict to report: the coordinator resubmits what Redis lost, or has ended.
        this.stats.lastError = err.message;
        throw new Error(err.message);
      }
      const message = `${errorMessage(err)} (worker ${this.name}, attempt ${job.attemptsMade + 1} of ${attempts})`;
      this.stats.lastError = message;
      // The last attempt: tell the coordinator now rather than let it find out from the job's state.
      if (err instanceof UnrecoverableError || job.attemptsMade + 1 >= attempts) {
        await this.push(keys, doneMessage(data.seq, message), data.ttlMs).catch(() => {});
      }
      throw err instanceof UnrecoverableError ? new UnrecoverableError(message) : new Error(message);
    }
  }

  /** Appends to the run's `done` list (with a TTL, in case the run is already gone). */
  private push(keys: RunKeys, message: string, ttlMs: number): Promise<unknown> {
    // Separate commands rather than MULTI, whose buffer concatenation would copy; order is kept on one connection.
    return Promise.all([this.redis!.rpush(keys.done, message), this.redis!.pexpire(keys.done, ttlMs)]);
  }

  private async attempt(job: Job<TileJobData>, keys: RunKeys): Promise<number> {
    const data = this.check(job.data, keys);
    const t0 = performance.now();
    let filter: FilterModule;
    try {
      filter = await this.filters!.resolve(data.filter, keys);
    } catch (err) {
      if (err instanceof TesseraError && err.code === ErrorCode.FilterUnavailable) throw new UnrecoverableError(err.message);
      throw err;
    }
    const wrong = checkJobFilter(data, filter.manifest, (params) => this.haloOf(filter, params));
    if (wrong) throw new UnrecoverableError(wrong);
    const src = await this.redis!.getBuffer(data.src);
    if (!src) throw new LostFromRedis(`tile ${data.seq}: its source bytes are gone from Redis (the run ended, its coordinator died, or Redis restarted)`);
    const expected = sourceBytes(data.width, data.height, data.halo);
    if (src.length !== expected) throw new UnrecoverableError(`tile ${data.seq}: source has ${src.length} bytes, expected ${expected}`);
    // The MAC covers the job as the coordinator sent it, before this worker lowered any cap.
    if (this.signer && !this.signer.verifyJob(job.data, src)) {
      throw new UnrecoverableError(`tile ${data.seq}: the job or its source bytes fail authentication (forged or altered in Redis, or the coordinator has another secret)`);
    }
    const engine = await this.engine(filter, data);
    const t1 = performance.now();
    const out = await engine.run(src, data);
    const t2 = performance.now();
    // A signed job's result carries its MAC after the pixels (one more copy of the tile, far cheaper than the MAC itself).
    const value = this.signer ? Buffer.concat([out.result, this.signer.signResult(data.mac!, out.result)]) : out.result;
    try {
      await Promise.all([this.redis!.set(data.dst, value, 'PX', data.ttlMs), this.push(keys, doneMessage(data.seq), data.ttlMs)]);
    } finally {
      out.release(); // the reply means the bytes were sent: the buffer can be reused
    }
    const t3 = performance.now();
    this.stats.done++;
    this.total++;
    this.stats.runs.add(data.run);
    this.stats.filterMs += t2 - t1;
    this.stats.ioMs += t1 - t0 + (t3 - t2);
    return data.seq;
  }

  /**
   * The job, every field checked and its caps lowered to this worker's.
   * @throws UnrecoverableError naming the field, or saying why the job's signature cannot be taken
   */
  private check(raw: TileJobData, keys: RunKeys): CheckedJob {
    const data = checkJobShape(raw, keys, this.limits);
    if (typeof data === 'string') throw new UnrecoverableError(data);
    if (this.signer && data.mac === undefined) {
      throw new UnrecoverableError(`tile ${data.seq}: unsigned job refused: this worker has a shared secret, so the coordinator needs the same one (--secret or ${'TESSERA_SECRET'})`);
    }
    if (!this.signer && data.mac !== undefined) {
      throw new UnrecoverableError(`tile ${data.seq}: the job is signed but this worker has no shared secret to check it: start it with --secret or TESSERA_SECRET`);
    }
    return data;
  }

  private haloOf(filter: FilterModule, params: number[]): number {
    const key = `${filter.plain.hash}|${params.join(',')}`;
    let halo = this.halos.get(key);
    if (halo === undefined) {
      halo = filterHalo(filter, params);
      if (this.halos.size > 256) this.halos.clear();
      this.halos.set(key, halo);
    }
    return halo;
  }

  private async engine(filter: FilterModule, data: TileJobData): Promise<TileEngine> {
    const key = engineKey(filter, data, this.strategy);
    let engine = this.engines.get(key);
    if (engine) {
      this.engines.delete(key); // re-insert: most recently used last
      this.engines.set(key, engine);
      return engine;
    }
    engine = new TileEngine(filter, data, this.strategy, this.concurrency);
    this.engines.set(key, engine);
    const now = Date.now();
    for (const [k, e] of this.engines) {
      if (e === engine || e.busy > 0) continue;
      if (this.engines.size > MAX_ENGINES || now - e.lastUsed > ENGINE_IDLE_MS) {
        this.engines.delete(k);
        void e.close();
      }
    }
    return engine;
  }

  private report(): void {
    const s = this.stats;
    if (s.done === 0 && s.failed === 0) {
      if (s.lastError) this.log(`tessera worker ${this.name}: ${s.lastError}`);
      s.lastError = '';
      return;
    }
    const per = (ms: number) => (s.done ? (ms / s.done).toFixed(1) : '0');
    const failed = s.failed ? `, ${s.failed} failed${s.lastError ? ` (${s.lastError})` : ''}` : '';
    this.log(
      `tessera worker ${this.name}: ${s.done} tiles in ${(this.logIntervalMs / 1000).toFixed(1)} s${failed} — ` +
        `filter ${per(s.filterMs)} ms/tile, redis ${per(s.ioMs)} ms/tile; run ${[...s.runs].join(', ') || '-'}; ${this.total} in all`,
    );
    this.stats = { done: 0, failed: 0, filterMs: 0, ioMs: 0, runs: new Set(), lastError: '' };
  }

  /** Stops taking jobs, lets the ones in progress finish, and disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.discoverTimer);
      clearInterval(this.logTimer);
      await this.discovering;
      await Promise.all([...this.runs.keys()].map((id) => this.leave(id)));
      this.report();
      await Promise.all([...this.engines.values()].map((e) => e.close()));
      this.engines.clear();
      this.subscriber?.disconnect();
      await this.redis?.quit().catch(() => this.redis?.disconnect());
      rmSync(this.tmp, { recursive: true, force: true });
    })();
    return this.closing;
  }
}
