/**
 * A small local cluster for `tessera bench --backends queue`: a private redis-server (or
 * the --redis given) and K `tessera worker` child processes, so the queue rows measure
 * what distribution costs on this machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { TESSERA_CLI } from '../tessera-install.js';
import { startLocalRedis, type LocalRedis } from 'tessera/internal/queue/local-redis';
import type { BenchResult } from '../types.js';
import { formatMs } from '../format.js';


/** A running cluster. */
export interface QueueCluster {
  url: string;
  workers: number;
  /** The secret its workers and coordinators share: jobs and results authenticated. */
  secret?: string;
  stop(): Promise<void>;
}

function startWorker(url: string, threads: number, secret?: string): Promise<ChildProcess> {
  const env = { ...process.env, TESSERA_SECRET: secret ?? '' };
  const child = spawn(process.execPath, [TESSERA_CLI, 'worker', '--redis', url, '--concurrency', String(threads), '--log-interval', '60000'], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tessera worker did not start within 15 s: ${log.trim()}`)), 15_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes('serving')) {
        clearTimeout(timer);
        child.removeListener('exit', onExit);
        resolve(child);
      }
    };
    const onExit = () => {
      clearTimeout(timer);
      reject(new Error(`tessera worker exited: ${log.trim()}`));
    };
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Starts Redis (unless `redis` is given) and `workers` worker processes sharing the
 * machine's cores (each gets cores ÷ workers threads, at least one). With `secret` the
 * workers take only jobs signed with it (so such a cluster needs a Redis of its own: its
 * workers would refuse another cluster's unsigned jobs).
 */
export async function startQueueCluster(workers: number, redis?: string, secret?: string): Promise<QueueCluster> {
  let local: LocalRedis | undefined;
  const url = redis ?? (local = await startLocalRedis()).url;
  const threads = Math.max(1, Math.floor(availableParallelism() / workers));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map((c) =>
        c.exitCode !== null || c.signalCode !== null ? undefined : new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
      ),
    );
    await local?.stop();
  };
  try {
    for (const child of await Promise.allSettled(Array.from({ length: workers }, () => startWorker(url, threads, secret)))) {
      if (child.status === 'rejected') throw child.reason;
      children.push(child.value);
      child.value.stderr!.resume();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, workers, secret, stop };
}

/** What authentication costs per image: the signed queue cell's median minus the unsigned one's. */
export function perImageAuthCost(signed: BenchResult, unsigned: BenchResult, images: number): string {
  const e2e = (signed.medianMs - unsigned.medianMs) / images;
  return `authentication (HMAC-SHA256 of jobs, inputs and outputs) ${formatMs(e2e, 'hundredths')} per image end to end vs unsigned queue (${(signed.medianMs / unsigned.medianMs).toFixed(2)}× its time)`;
}

/** What distribution costs per image: the queue cell's median minus the local `copy` cell's, over the images of a run. */
export function perImageOverhead(queue: BenchResult, local: BenchResult, images: number): string {
  const e2e = (queue.medianMs - local.medianMs) / images;
  return `per-image overhead ${formatMs(e2e, 'hundredths')} end to end vs local copy ×${local.workers} (${images} images per run; ${(queue.medianMs / local.medianMs).toFixed(2)}× its time)`;
}
