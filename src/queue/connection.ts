/**
 * Redis connections of the queue backend: URL checks, a fast connectivity check with an
 * error that says what to do, and the connection settings each role needs.
 */
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { ErrorCode, TesseraError } from '../errors.js';

/** How long connecting may take before we call Redis unreachable. */
export const CONNECT_TIMEOUT_MS = 3_000;

/** The URL with any password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/**
 * Checks that `url` is a Redis URL.
 * @throws TesseraError Usage
 */
export function checkRedisUrl(url: string | undefined, flag = '--redis'): string {
  if (!url) throw new TesseraError(ErrorCode.Usage, `the queue backend needs a Redis URL: ${flag} redis://HOST:PORT`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TesseraError(ErrorCode.Usage, `${flag} expects a URL like redis://HOST:PORT, got "${url}"`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TesseraError(ErrorCode.Usage, `${flag} expects a redis:// or rediss:// URL, got "${redactUrl(url)}"`);
  }
  return url;
}

function unreachable(url: string, reason: string): TesseraError {
  if (/WRONGPASS|NOAUTH|NOPERM|invalid password|AUTH failed/i.test(reason)) {
    return new TesseraError(
      ErrorCode.RedisUnreachable,
      `Redis at ${redactUrl(url)} refused tessera: ${reason}. Possible solutions:\n` +
        `- give the ACL user and password in the URL: redis://USER:PASSWORD@HOST:PORT (or redis://:PASSWORD@HOST:PORT for requirepass)\n` +
        `- let that user reach tessera's keys and channel: ACL SETUSER USER on >PASSWORD ~tessera:* &tessera:* +@all -@dangerous +info +client`,
    );
  }
  if (/self[- ]signed|certificate|SSL|TLS|EPROTO|ERR_SSL/i.test(reason)) {
    return new TesseraError(
      ErrorCode.RedisUnreachable,
      `cannot reach Redis at ${redactUrl(url)} over TLS: ${reason}. Possible solutions:\n` +
        `- for a certificate from a private CA: NODE_EXTRA_CA_CERTS=/path/to/ca.pem\n` +
        `- check that the server's certificate names the host in the URL, and that the port is its --tls-port`,
    );
  }
  return new TesseraError(
    ErrorCode.RedisUnreachable,
    `cannot reach Redis at ${redactUrl(url)}: ${reason}. Possible solutions:\n` +
      `- start Redis there (e.g. redis-server --port ${new URL(url).port || 6379} --save "" --appendonly no)\n` +
      `- pass the address of a running one with --redis redis://HOST:PORT\n` +
      `- check firewalls and, for a password-protected server, redis://:PASSWORD@HOST:PORT`,
  );
}

const base = (): RedisOptions => ({
  connectTimeout: CONNECT_TIMEOUT_MS,
  disconnectTimeout: 500,
  // Reconnect quickly and forever: a brief Redis restart should not end a long run.
  retryStrategy: (times: number) => Math.min(100 * times, 2_000),
});

/**
 * Connects once, sends PING and disconnects: a clear error within a few seconds rather
 * than a queue that waits forever for a server that is not there.
 * @throws TesseraError RedisUnreachable
 */
export async function checkRedis(url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  let lastError: Error | undefined;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // ioredis waits this long for a socket that already failed to close: do not hold the process.
    disconnectTimeout: 100,
  });
  client.on('error', (err: Error) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs + 500);
      }),
    ]);
  } catch (err) {
    const why = lastError ?? (err as Error);
    throw unreachable(url, why.message.replace(/\.$/, ''));
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * Connection options for a BullMQ class that should own (and on close, disconnect) its
 * connections: workers and queue events, whose blocking reads must be interrupted.
 */
export function bullConnection(url: string): BullRedisOptions {
  return { url, connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy: (times: number) => Math.min(100 * times, 2_000), maxRetriesPerRequest: null };
}

/**
 * A connection for commands. `blocking` ones (BullMQ workers, queue events, pub/sub)
 * must retry commands forever; the coordinator's command connection fails a command
 * after a few seconds without Redis instead of hanging.
 */
export function connectRedis(url: string, role: 'commands' | 'blocking', name?: string): Redis {
  const client = new Redis(url, {
    ...base(),
    maxRetriesPerRequest: role === 'blocking' ? null : 3,
    ...(name ? { connectionName: name } : {}),
  });
  // Errors surface through the commands that fail; an unhandled 'error' event would crash the process.
  client.on('error', () => {});
  return client;
}
