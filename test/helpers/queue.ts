/** The queue backend's moving parts for tests: a private redis-server, `tessera worker` processes, key checks. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import { findRedisServer } from '../../src/queue/local-redis.js';
import { CLI } from './paths.js';
import { requireTool } from './tools.js';

export { startLocalRedis, type LocalRedis } from '../../src/queue/local-redis.js';

/** The `skip` option for tests that need redis-server: skipped locally without it; under CI they run, and fail without it. */
export function requireRedis(): false | string {
  return requireTool('redis-server', findRedisServer() !== undefined, 'apt-get install redis-server');
}

/** True while the process has neither exited nor been killed. */
export const isAlive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/**
 * Starts `tessera worker --redis URL …args`; resolves once it logs that it serves. Its
 * stderr stays readable (tests wait for its log lines); kill it when done.
 */
export function startWorker(redisUrl: string, args: string[] = ['--concurrency', '1', '--log-interval', '250'], env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'worker', '--redis', redisUrl, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let log = '';
  return new Promise<void>((resolve, reject) => {
    // Hang guard: a worker that has not said "serving" by then is not going to.
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${log}`)), 20_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes('serving')) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`worker exited: ${log}`));
    });
  }).then(() => {
    child.stderr!.resume();
    child.removeAllListeners('exit');
    return child;
  }, (err: unknown) => {
    if (isAlive(child)) child.kill('SIGKILL');
    throw err;
  });
}

/** Every key under `tessera:` (SCAN, not KEYS). */
export async function tesseraKeys(client: Redis): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', 'tessera:*', 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** No tessera key is left: polls for up to 10 s, the schedule on which workers sweep what they wrote into an ended run (below). */
export async function assertNoTesseraKeys(client: Redis): Promise<void> {
  let keys: string[] = [];
  // The coordinator deletes its run's keys as it closes; a worker that was still starting its
  // queue client for the run sweeps what that wrote when it leaves the run — on its next
  // discovery (≤ 1 s), after BullMQ's close (≤ its 1 s drain delay), and once more 1.5 s
  // later. Allow that schedule, on a loaded machine, before calling a key left behind.
  for (let i = 0; i < 100; i++) {
    keys = await tesseraKeys(client);
    if (keys.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(keys, [], 'keys left in Redis after the run');
}
