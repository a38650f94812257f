/**
 * Worker side of an image job: the image goes through a local `Session` — decode, tiles on
 * this worker's threads with its own strategy, encode — exactly as `tessera run` would do
 * it here, so its output is the same bytes. One session per run and job settings (never
 * shared between runs, so no filter state crosses tenants; within a run each image starts
 * from fresh state as in any session), a few kept for reuse.
 */
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FilterModule } from '../filter/filter-module.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { isInside } from '../io/inputs.js';
import { Session, type ImageResult } from '../pipeline/session.js';
import type { ThreadStrategy } from '../strategies/types.js';
import type { CheckedJob } from './job-check.js';
import type { ImageDone } from './protocol.js';

/** An image the filter or its file made fail: a verdict, not worth another attempt. */
export class ImageFailed extends Error {}

/** What running an image gave: the output's bytes (unless written to the shared directory) and the report. */
export interface ImageOutcome {
  bytes: Uint8Array;
  done: ImageDone;
}

const MAX_SESSIONS = 3;

/** Largest tile side with which a built-in filter may run on the worker's event loop. */
const INLINE_TILE_MAX = 1024;

/** Sessions of one worker process, by run and settings. */
export class WorkerSessions {
  private readonly sessions = new Map<string, { session: Session; busy: number }>();

  constructor(
    private readonly strategy: ThreadStrategy,
    private readonly threads: number,
    private readonly tmpRoot: string,
    private readonly worker: string,
    private readonly sharedDir?: string,
  ) {}

  private acquire(filter: FilterModule, job: CheckedJob): { session: Session; busy: number } {
    const key = [job.run, filter.plain.hash, filter.shared?.hash ?? '', JSON.stringify(job.params), job.tileSize, job.maxPixels, job.filterMemoryMb, job.tileTimeoutMs, JSON.stringify(job.encode ?? {})].join('|');
    let entry = this.sessions.get(key);
    if (!entry) {
      let session: Session;
      try {
        session = new Session({
          filter,
          params: job.params,
          strategy: this.strategy === 'shared' && filter.shared ? 'shared' : 'copy',
          workers: this.threads,
          tileSize: job.tileSize,
          maxPixels: job.maxPixels,
          filterMemoryMb: job.filterMemoryMb,
          tileTimeoutMs: job.tileTimeoutMs,
          outputOptions: { format: job.encode?.format, quality: job.encode?.quality, pngLevel: job.encode?.pngLevel, strip: job.encode?.strip },
          keepOrientation: job.encode?.keepOrientation,
          // The event loop renews this worker's job locks. A user filter never runs on it; a
          // built-in may, tile by tile with a turn of the loop every 2 ms, when its tiles are
          // small enough (≤ 1024², tens of ms at most) to never hold the loop near the 2 s lock.
          ...(filter.builtin && job.tileSize <= INLINE_TILE_MAX ? {} : { offLoop: true, threadStart: 'eager' as const }),
        });
      } catch (err) {
        throw new ImageFailed((err as Error).message);
      }
      entry = { session, busy: 0 };
      this.sessions.set(key, entry);
      for (const [k, e] of this.sessions) {
        if (this.sessions.size <= MAX_SESSIONS) break;
        if (e !== entry && e.busy === 0) {
          this.sessions.delete(k);
          void e.session.close();
        }
      }
    }
    entry.busy++;
    return entry;
  }

  /** Creates (or keeps) the session `job` would run in and starts its threads, ahead of the run's first image. */
  warm(filter: FilterModule, job: CheckedJob): void {
    const entry = this.acquire(filter, job);
    entry.session.prepare();
    entry.busy--;
  }

  /** Runs one image (or one band of one); `input` is its bytes (`bytes`, `raw`, `band`) or undefined for a shared path. */
  async run(filter: FilterModule, job: CheckedJob, input?: Uint8Array): Promise<ImageOutcome> {
    const t0 = performance.now();
    const entry = this.acquire(filter, job);
    try {
      if (job.transport === 'band') {
        const { rows, tiles } = await entry.session.filterPaddedBand(input!, job.width!, job.height!, job.halo!, job.y0!, job.name).catch((err: Error) => {
          throw new ImageFailed(asNamed(err.message, filter, job));
        });
        return { bytes: rows, done: { width: job.width!, height: job.height!, layout: 'rgba', channels: 4, tiles, ms: performance.now() - t0, worker: this.worker } };
      }
      if (job.transport === 'raw') {
        const out = await entry.session.filterPixels(input!, job.width!, job.height!, job.name).catch((err: Error) => {
          throw new ImageFailed(asNamed(err.message, filter, job));
        });
        return { bytes: out, done: { width: job.width!, height: job.height!, layout: 'rgba', channels: 4, tiles: 0, ms: performance.now() - t0, worker: this.worker } };
      }
      if (job.transport === 'bytes') {
        // In memory when it fits whole (no temporary files); a big image streams from a file below.
        const done = await entry.session.runInMemory(input!, job.name);
        if (done) {
          const r = done.result;
          if (r.error) throw new ImageFailed(asNamed(r.error, filter, job));
          return { bytes: done.output!, done: { ...report(r), ms: performance.now() - t0, worker: this.worker } };
        }
      }
      const dir = await mkdtemp(join(this.tmpRoot, `${job.run}-${job.seq}-`));
      try {
        const local = job.transport === 'shared' ? await this.sharedPath(job.input!, job.name) : join(dir, 'in', basename(job.name));
        if (job.transport === 'bytes') {
          await mkdir(dirname(local));
          await writeFile(local, input!);
        }
        const outDir = join(dir, 'out');
        await mkdir(outDir);
        const summary = await entry.session.run([local], outDir);
        const r = summary.results[0];
        // The image as the coordinator names it, not as this worker's temporary file.
        if (r.error) throw new ImageFailed(asNamed(r.error.split(local).join(job.name), filter, job));
        const bytes = await readFile(r.output!);
        if (job.transport === 'shared') {
          const target = await this.sharedOutput(job.output!, job.name);
          await writeFileAtomic(target, bytes);
        }
        const named = { ...r, warnings: r.warnings?.map((w) => w.split(local).join(job.name)) };
        const done: ImageDone = { ...report(named), bandRows: r.bandRows, ms: performance.now() - t0, worker: this.worker };
        return { bytes: job.transport === 'shared' ? new Uint8Array(0) : bytes, done };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      entry.busy--;
    }
  }

  /** The shared directory's file for `rel`, refused when it (through links) leaves the directory. */
  private async sharedPath(rel: string, name: string): Promise<string> {
    const root = await this.sharedRoot(name);
    // Not a verdict on the image: another worker, with the storage mounted, may take it.
    const real = await realpath(join(root, rel)).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`${name}: not found in --shared-dir ${root} of worker ${this.worker} (${err.code}): is the same storage mounted there?`);
    });
    if (real === root || !isInside(real, root)) throw new ImageFailed(`${name}: leads outside this worker's --shared-dir (a link?): refused`);
    return real;
  }

  private async sharedOutput(rel: string, name: string): Promise<string> {
    const root = await this.sharedRoot(name);
    const dir = await realpath(dirname(join(root, rel))).catch(() => {
      throw new ImageFailed(`${name}: the output directory of ${rel} is not in this worker's --shared-dir ${root}`);
    });
    if (!isInside(dir, root)) throw new ImageFailed(`${name}: its output leads outside this worker's --shared-dir (a link?): refused`);
    return join(dir, basename(rel));
  }

  private async sharedRoot(name: string): Promise<string> {
    // Not a verdict on the image either: a worker with --shared-dir may take it.
    if (!this.sharedDir) throw new Error(`${name}: the run passes images through a shared directory, but worker ${this.worker} was started without --shared-dir`);
    return realpath(this.sharedDir);
  }

  /** Closes the sessions of a run that ended. */
  async closeRun(runId: string): Promise<void> {
    const ended = [...this.sessions].filter(([k]) => k.startsWith(`${runId}|`));
    for (const [k] of ended) this.sessions.delete(k);
    await Promise.all(ended.map(([, e]) => e.session.close()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((e) => e.session.close()));
    this.sessions.clear();
  }
}

/** What a done message says of a finished image. */
function report(r: ImageResult): Omit<ImageDone, 'ms' | 'worker'> {
  return { width: r.width!, height: r.height!, layout: r.layout!, channels: r.channels!, tiles: r.tiles ?? 0, format: r.format, ...(r.warnings ? { warnings: r.warnings } : {}) };
}

/** A message as the coordinator would word it: the filter by its label there, not by this worker's copy of its bytes. */
function asNamed(message: string, filter: FilterModule, job: CheckedJob): string {
  return filter.builtin ? message : message.split(filter.source).join(job.filter.label);
}
