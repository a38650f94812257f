/**
 * The run registry: how long-lived workers find per-run queues. A coordinator adds its
 * run id to `tessera:runs`, keeps `tessera:run:<id>:alive` fresh and announces the run on
 * the pub/sub channel; at the end it removes itself and deletes every key of the run.
 * A run whose coordinator stopped refreshing `alive` (killed) is swept by the first
 * worker that notices.
 */
import type { Redis } from 'ioredis';
import { ALIVE_TTL_MS, RUN_KEY_TTL_MS, RUNS_CHANNEL, RUNS_KEY, RunKeys } from './keys.js';

/**
 * Makes a run visible to workers.
 * @throws Error naming the key when something else has written `tessera:runs`
 */
export async function announceRun(redis: Redis, keys: RunKeys): Promise<void> {
  const replies = await redis
    .multi()
    .set(keys.alive, String(process.pid), 'PX', ALIVE_TTL_MS)
    .sadd(RUNS_KEY, keys.runId)
    .pexpire(RUNS_KEY, RUN_KEY_TTL_MS)
    .exec();
  const failed = replies?.find(([err]) => err)?.[0];
  if (failed) {
    throw new Error(`cannot register the run in Redis key ${RUNS_KEY} (${failed.message}): something other than tessera wrote that key; delete it, or give tessera a Redis (or database number) of its own`);
  }
  await redis.publish(RUNS_CHANNEL, `start ${keys.runId}`);
}

/**
 * Refreshes the coordinator's `alive` key and its place in the registry; false when the
 * `alive` key was gone — Redis lost the run's keys (restarted without persistence, or was
 * flushed), or this coordinator stalled for longer than its TTL.
 */
export async function heartbeat(redis: Redis, keys: RunKeys): Promise<boolean> {
  const [[, refreshed]] = ((await redis
    .multi()
    .set(keys.alive, String(process.pid), 'PX', ALIVE_TTL_MS, 'XX')
    .sadd(RUNS_KEY, keys.runId)
    .pexpire(RUNS_KEY, RUN_KEY_TTL_MS)
    .exec()) ?? [[null, null]]) as Array<[Error | null, unknown]>;
  return refreshed === 'OK';
}

/**
 * Sets a TTL on keys that have none or a long one, never on short-lived keys: BullMQ's job
 * locks and stall-check marker live for a second or two, and lengthening them would keep a
 * dead worker's jobs locked for a minute.
 */
const EXPIRE_SCRIPT = `
for _, k in ipairs(KEYS) do
  local t = redis.call('PTTL', k)
  if t == -1 or t > tonumber(ARGV[2]) then redis.call('PEXPIRE', k, ARGV[1]) end
end
return 0`;

/** Keys whose TTL is at most this are left alone by {@link expireRunKeys} (locks, `alive`). */
const SHORT_TTL_MS = 15_000;

/**
 * Gives every key of the run the TTL {@link RUN_KEY_TTL_MS} (SCAN of its prefix, then one
 * script per page), except short-lived ones. Tile bytes get it too: a tile waiting in a
 * long queue keeps its bytes as long as its coordinator lives.
 */
export async function expireRunKeys(redis: Redis, keys: RunKeys): Promise<void> {
  await eachKeyPage(redis, keys.pattern, (found) => redis.eval(EXPIRE_SCRIPT, found.length, ...found, RUN_KEY_TTL_MS, SHORT_TTL_MS));
}

/** Deletes every key matching `pattern` (SCAN + UNLINK); returns how many. */
export async function sweep(redis: Redis, pattern: string): Promise<number> {
  let n = 0;
  await eachKeyPage(redis, pattern, async (found) => (n += await redis.unlink(...found)));
  return n;
}

/** Calls `page` with every non-empty page of keys matching `pattern` (SCAN, not KEYS: the server never blocks). */
async function eachKeyPage(redis: Redis, pattern: string, page: (keys: string[]) => Promise<unknown>): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await page(found);
  } while (cursor !== '0');
}

/** Ends a run: leaves the registry, tells the workers, deletes its keys. */
export async function retireRun(redis: Redis, keys: RunKeys): Promise<void> {
  await redis.multi().srem(RUNS_KEY, keys.runId).del(keys.alive).exec();
  await redis.publish(RUNS_CHANNEL, `end ${keys.runId}`);
  await sweep(redis, keys.pattern);
}

/** Ids of registered runs, split into live ones and ones whose coordinator is gone. */
export async function listRuns(redis: Redis): Promise<{ live: string[]; dead: string[] }> {
  const ids = (await redis.smembers(RUNS_KEY)).filter((id) => /^[0-9a-z]{1,64}$/.test(id));
  if (ids.length === 0) return { live: [], dead: [] };
  const pipe = redis.pipeline();
  for (const id of ids) pipe.exists(new RunKeys(id).alive);
  const alive = (await pipe.exec()) ?? [];
  const live: string[] = [];
  const dead: string[] = [];
  ids.forEach((id, i) => (alive[i]?.[1] === 1 ? live : dead).push(id));
  return { live, dead };
}

/** Removes a dead run; only the caller that wins the SREM sweeps its keys. */
export async function reapRun(redis: Redis, runId: string): Promise<boolean> {
  const keys = new RunKeys(runId);
  if ((await redis.srem(RUNS_KEY, runId)) !== 1) return false;
  await sweep(redis, keys.pattern);
  return true;
}
