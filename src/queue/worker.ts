/**
 * `tessera worker`: pulls image jobs of every run in progress on one Redis, and runs each
 * image as `tessera run` would here — decode, tiles on its own threads with its own
 * strategy, encode — then stores the output (or writes it to the shared directory) and
 * reports. One BullMQ Worker per run (each run has its own queue); runs are found through
 * the registry and its pub/sub channel.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { usableCpus } from '../pipeline/cpu-count.js';
import { join } from 'node:path';
import type { Job, Worker as BullWorker } from 'bullmq';
import { workerClasses } from './bullmq.js';
import type { Redis } from 'ioredis';
import { ErrorCode, TesseraError, errorMessage } from '../errors.js';
import type { FilterModule } from '../filter/filter-module.js';
import { DEFAULT_FILTER_MEMORY_MB, DEFAULT_MAX_PIXELS, DEFAULT_TILE_TIMEOUT_MS } from '../pipeline/defaults.js';
import type { ThreadStrategy } from '../strategies/types.js';
import { JobSigner } from './auth.js';
import { bullConnection, checkRedis, checkRedisUrl, connectRedis, redactUrl } from './connection.js';
import { FilterCache, LostFromRedis } from './filter-shipping.js';
import { checkJob, paddedBytes, type CheckedJob, type WorkerLimits } from './job-check.js';
import {
  DATA_TTL_MS, DISCOVERY_INTERVAL_MS, LOCK_DURATION_MS, MAX_STALLED_COUNT, QUEUE_NAME, RUN_KEY_TTL_MS, RUNS_CHANNEL, RunKeys, STALLED_INTERVAL_MS,
} from './keys.js';
import { doneMessage, PROTOCOL_VERSION, type ImageJobData } from './protocol.js';
import { listRuns, reapRun, sweep } from './registry.js';
import { ImageFailed, WorkerSessions } from './worker-sessions.js';

const { Worker, UnrecoverableError } = workerClasses();

/**
 * This worker's temporary directory (`tessera-worker-<pid>-…`), after removing those of
 * workers that died without cleaning up (SIGKILL): their pid no longer runs.
 */
function workerTempDir(): string {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^tessera-worker-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
  return mkdtempSync(join(tmpdir(), `tessera-worker-${process.pid}-`));
}

/** Stores an image's output and reports it, if and only if its run is still alive (KEYS: alive, output, done). */
const STORE_RESULT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return 1`;

/** Reports on the run's `done` list if the run is still alive (KEYS: alive, done). */
const PUSH_IF_ALIVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

/** How long after leaving an ended run a worker sweeps its keys a second time, in ms. */
const LATE_SWEEP_MS = 1500;

/** Options of a worker node. */
export interface WorkerNodeOptions {
  redis: string;
  /** Threads filtering tiles of this worker's images. @defaultValue the CPUs this process may use (cores, lowered to its cgroup quota) */
  concurrency?: number;
  /** How this worker hands pixels to WASM. @defaultValue 'shared' (or `copy` for a filter without a shared form) */
  strategy?: ThreadStrategy;
  /** Images taken at once, so decoding and encoding one overlaps filtering another. @defaultValue 2 */
  jobs?: number;
  /** This machine's mount of the storage a run passes images through by path (`tessera run --shared-dir`). */
  sharedDir?: string;
  /** Largest image this worker takes, pixels; a job asking for more gets this. @defaultValue 2³⁰ */
  maxPixels?: number;
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
  worker: BullWorker;
}

/** A worker process's tile-serving loop. */
export class WorkerNode {
  readonly name: string;
  readonly concurrency: number;
  readonly strategy: ThreadStrategy;
  private readonly url: string;
  private readonly jobs: number;
  private readonly log: (line: string) => void;
  private readonly logIntervalMs: number;
  private redis?: Redis;
  private subscriber?: Redis;
  private filters?: FilterCache;
  private readonly tmp = workerTempDir();
  private readonly runs = new Map<string, RunState>();
  private readonly sessions: WorkerSessions;
  private discoverTimer?: NodeJS.Timeout;
  private logTimer?: NodeJS.Timeout;
  private discovering?: Promise<void>;
  /** A notice arrived during a discovery: run another when it ends. */
  private rediscover = false;
  private closing?: Promise<void>;
  private readonly limits: WorkerLimits;
  private readonly signer?: JobSigner;
  private stats = { done: 0, failed: 0, filterMs: 0, ioMs: 0, runs: new Set<string>(), lastError: '' };
  private total = 0;

  constructor(options: WorkerNodeOptions) {
    this.url = checkRedisUrl(options.redis);
    this.concurrency = options.concurrency ?? usableCpus();
    this.strategy = options.strategy ?? 'shared';
    this.jobs = options.jobs ?? 2;
    this.log = options.log ?? ((line) => process.stderr.write(line + '\n'));
    this.logIntervalMs = options.logIntervalMs ?? 1000;
    this.name = options.name ?? `${hostname()}:${process.pid}`;
    this.limits = {
      maxFilterMemoryMb: options.maxFilterMemoryMb ?? DEFAULT_FILTER_MEMORY_MB,
      maxTileTimeoutMs: options.maxTileTimeoutMs ?? 6 * DEFAULT_TILE_TIMEOUT_MS,
      maxTtlMs: DATA_TTL_MS,
      maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
    };
    if (options.secret) this.signer = new JobSigner(options.secret);
    this.sessions = new WorkerSessions(this.strategy, this.concurrency, this.tmp, this.name, options.sharedDir);
  }

  /** Images finished since start. */
  get imagesDone(): number {
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
      // Ended: swept after leaving, since this worker's queue client (its stall check) may write
      // into the run after the coordinator's own sweep.
      if (what === 'end' && id) void this.leave(id, true);
      else void this.discover();
    });
    await this.subscriber.subscribe(RUNS_CHANNEL);
    await this.discover();
    this.discoverTimer = setInterval(() => void this.discover(), DISCOVERY_INTERVAL_MS);
    this.logTimer = setInterval(() => this.report(), this.logIntervalMs);
    this.log(`tessera worker ${this.name}: serving ${redactUrl(this.url)} with ${this.concurrency} thread${this.concurrency > 1 ? 's' : ''}, ${this.jobs} image${this.jobs > 1 ? 's' : ''} at once (${this.strategy}${this.signer ? ', signed jobs only' : ''})`);
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
    const worker = new Worker<ImageJobData>(QUEUE_NAME, (job) => this.process(job, keys), {
      connection: bullConnection(this.url),
      prefix: keys.prefix,
      name: this.name,
      concurrency: this.jobs,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
      drainDelay: 1,
    });
    worker.on('error', (err) => (this.stats.lastError = errorMessage(err)));
    this.runs.set(runId, { keys, worker });
    void this.warm(keys);
  }

  /**
   * Starts the run's session (filter fetched and checked, threads up) from the settings its
   * coordinator announced, while the first image is still on its way. Checked like a job; a
   * run without settings, or with ones that do not pass, simply starts at its first job.
   */
  private async warm(keys: RunKeys): Promise<void> {
    try {
      const text = await this.redis!.get(keys.settings);
      if (!text) return;
      const settings = JSON.parse(text) as Partial<ImageJobData>;
      // With a secret, only settings its holder signed are acted on.
      if (this.signer && !this.signer.verifyJob(settings, new Uint8Array(0))) return;
      const probe = { ...settings, mac: undefined, v: PROTOCOL_VERSION, run: keys.runId, seq: 0, transport: 'bytes', name: 'warm-up', inputBytes: 1, ext: '.png', ttlMs: DATA_TTL_MS };
      const job = checkJob(probe, keys, this.limits);
      if (typeof job === 'string' || !this.runs.has(keys.runId)) return;
      const filter = await this.filters!.resolve(job.filter, keys);
      if (this.runs.has(keys.runId)) this.sessions.warm(filter, job);
    } catch {
      // Not worth a line: the first job reports whatever is wrong.
    }
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
    await this.sessions.closeRun(runId).catch(() => {});
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

  private async process(job: Job<ImageJobData>, keys: RunKeys): Promise<number> {
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
      const verdict = err instanceof UnrecoverableError || err instanceof ImageFailed;
      const message = verdict ? errorMessage(err) : `${errorMessage(err)} (worker ${this.name}, attempt ${job.attemptsMade + 1} of ${attempts})`;
      this.stats.lastError = message;
      // A verdict on the image, or the last attempt: tell the coordinator now rather than let it find out from the job's state.
      if (verdict || job.attemptsMade + 1 >= attempts) {
        const seq = job.data?.seq;
        if (Number.isSafeInteger(seq)) await this.push(keys, doneMessage(seq, message), RUN_KEY_TTL_MS).catch(() => {});
      }
      throw verdict ? new UnrecoverableError(message) : new Error(message);
    }
  }

  /** Appends to the run's `done` list, if the run is still alive (a list recreated for an ended run would outlive it). */
  private push(keys: RunKeys, message: string, ttlMs: number): Promise<unknown> {
    return this.redis!.eval(PUSH_IF_ALIVE, 2, keys.alive, keys.done, message, ttlMs);
  }

  private async attempt(job: Job<ImageJobData>, keys: RunKeys): Promise<number> {
    const data = this.check(job.data, keys);
    const t0 = performance.now();
    let filter: FilterModule;
    try {
      filter = await this.filters!.resolve(data.filter, keys);
    } catch (err) {
      if (err instanceof TesseraError && err.code === ErrorCode.FilterUnavailable) throw new UnrecoverableError(err.message);
      throw err;
    }
    let input: Buffer | undefined;
    if (data.transport !== 'shared') {
      input = (await this.redis!.getBuffer(keys.input(data.seq))) ?? undefined;
      if (!input) throw new LostFromRedis(`${data.name}: its input is gone from Redis (the run ended, its coordinator died, or Redis restarted)`);
      const expected = data.transport === 'raw' ? data.width! * data.height! * 4 : data.transport === 'band' ? paddedBytes(data.width!, data.height!, data.halo!) : data.inputBytes!;
      if (input.length !== expected) throw new UnrecoverableError(`${data.name}: its input has ${input.length} bytes in Redis, the job says ${expected}`);
    }
    // The MAC covers the job as the coordinator sent it, before this worker lowered any cap.
    if (this.signer && !this.signer.verifyJob(job.data, input ?? new Uint8Array(0))) {
      throw new UnrecoverableError(`${data.name}: the job or its input fails authentication (forged or altered in Redis, or the coordinator has another secret)`);
    }
    const t1 = performance.now();
    const { bytes, done } = await this.sessions.run(filter, data, input);
    const t2 = performance.now();
    const message = doneMessage(data.seq, done);
    const report = message.slice(message.indexOf('\t') + 1);
    // A signed job's output carries its MAC after the bytes (the report is covered too).
    const value = this.signer ? Buffer.concat([bytes, this.signer.signResult(data.mac!, bytes, report)]) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Stored only while the run is alive, in one script, for a minute at most: a live coordinator
    // reads it at once (and refreshes every key of its run); an image finished after its run ended
    // leaves nothing, and a killed coordinator's last outputs expire even with no worker to sweep them.
    const ttl = Math.min(data.ttlMs, RUN_KEY_TTL_MS);
    const stored = await this.redis!.eval(STORE_RESULT, 3, keys.alive, keys.output(data.seq), keys.done, value, ttl, message);
    if (stored !== 1) throw new LostFromRedis(`${data.name}: its run is over (or Redis restarted): output dropped`);
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
  private check(raw: ImageJobData, keys: RunKeys): CheckedJob {
    const data = checkJob(raw, keys, this.limits);
    if (typeof data === 'string') throw new UnrecoverableError(data);
    if (this.signer && data.mac === undefined) {
      throw new UnrecoverableError(`${data.name}: unsigned job refused: this worker has a shared secret, so the coordinator needs the same one (--secret or TESSERA_SECRET)`);
    }
    if (!this.signer && data.mac !== undefined) {
      throw new UnrecoverableError(`${data.name}: the job is signed but this worker has no shared secret to check it: start it with --secret or TESSERA_SECRET`);
    }
    return data;
  }

  private report(): void {
    const s = this.stats;
    if (s.done === 0 && s.failed === 0) {
      if (s.lastError) this.log(`tessera worker ${this.name}: ${s.lastError}`);
      s.lastError = '';
      return;
    }
    const per = (ms: number) => (s.done ? (ms / s.done).toFixed(0) : '0');
    const failed = s.failed ? `, ${s.failed} failed${s.lastError ? ` (${s.lastError})` : ''}` : '';
    this.log(
      `tessera worker ${this.name}: ${s.done} images in ${(this.logIntervalMs / 1000).toFixed(1)} s${failed} — ` +
        `${per(s.filterMs)} ms/image here, redis ${per(s.ioMs)} ms/image; run ${[...s.runs].join(', ') || '-'}; ${this.total} in all`,
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
      await this.sessions.close();
      this.subscriber?.disconnect();
      await this.redis?.quit().catch(() => this.redis?.disconnect());
      rmSync(this.tmp, { recursive: true, force: true });
    })();
    return this.closing;
  }
}
