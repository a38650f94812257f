/**
 * The queue backend trusts nothing it did not check (issue 12, cluster clause), on real
 * redis-servers: forged jobs are refused field by field without touching keys outside their
 * run; with a shared secret unsigned jobs, forged results and mismatched secrets are refused;
 * ACL users and TLS work; a Redis restart mid-run loses no image; a coordinator killed with
 * nobody left to sweep leaves only keys that expire.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { generateSynthDataset } from 'tessera-bench/dataset/synth';
import { decodeImage } from '../../src/io/decode.js';
import { loadFilter } from '../../src/filter/filter-module.js';
import { describeFilter } from '../../src/queue/filter-shipping.js';
import { newRunId, QUEUE_NAME, RUN_KEY_TTL_MS, RUNS_KEY, RunKeys } from '../../src/queue/keys.js';
import { PROTOCOL_VERSION, type ImageJobData } from '../../src/queue/protocol.js';
import { announceRun, heartbeat, retireRun } from '../../src/queue/registry.js';
import { runCli } from '../helpers/cli.js';
import { firstDifference } from '../helpers/images.js';
import { assertNoTesseraKeys, isAlive, requireRedis, startLocalRedis, startWorker, tesseraKeys, type LocalRedis } from '../helpers/queue.js';
import { tempDir } from '../helpers/temp.js';
import { writeSpinFilter } from '../helpers/wat.js';

/** Hang guard for runs that must end on their own: far beyond how long they take. */
const NO_HANG_MS = 60_000;
const SECRET = 'correct horse battery staple';

async function until<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 20_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function decodedDir(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const f of readdirSync(dir).sort()) out.set(f, (await decodeImage(join(dir, f))).data);
  return out;
}

describe('queue backend: trust', { skip: requireRedis() }, () => {
  const tmp = tempDir('tessera-queue-trust-');
  const servers: LocalRedis[] = [];
  const children: ChildProcess[] = [];
  const clients: Redis[] = [];
  let images: string;
  let inputs: string[];
  let spinFilter: string;

  const server = async (options?: Parameters<typeof startLocalRedis>[0]) => {
    const s = await startLocalRedis(options);
    servers.push(s);
    return s;
  };
  const client = (url: string, extra: RedisOptions = {}) => {
    const c = new Redis(url, { maxRetriesPerRequest: null, ...extra });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  const worker = async (url: string, env: NodeJS.ProcessEnv = process.env, args = ['--concurrency', '1', '--log-interval', '250']) => {
    const w = await startWorker(url, args, env);
    children.push(w);
    return w;
  };
  const stopWorkers = async () => {
    await Promise.all(
      children.filter(isAlive).map((c) => new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      })),
    );
  };
  const runArgs = (url: string, out: string, filter = 'invert', more: string[] = []) =>
    ['run', '--filter', filter, '--input', images, '--output', out, '--backend', 'queue', '--redis', url, '--no-progress', ...more];

  before(async () => {
    images = join(tmp.dir, 'images');
    inputs = await generateSynthDataset({ outDir: images, count: 2, seed: 11 });
    spinFilter = writeSpinFilter(tmp.dir);
  });

  after(async () => {
    for (const c of children) if (isAlive(c)) c.kill('SIGKILL');
    for (const c of clients) c.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
    tmp.cleanup();
  });

  test('forged jobs are refused field by field; no key or path outside the run is read or written, no TTL beyond the worker\'s', async () => {
    const redis = await server();
    const c = client(redis.url);
    await c.set('victim:app:key', 'precious');
    const keys = new RunKeys(newRunId());
    await announceRun(c, keys);
    const beat = setInterval(() => void heartbeat(c, keys).catch(() => {}), 1000);
    const queue = new Queue(QUEUE_NAME, { connection: c, prefix: keys.prefix });
    const shared = join(tmp.dir, 'shared');
    execFileSync('mkdir', ['-p', join(shared, 'out')]);
    writeFileSync(join(tmp.dir, 'outside.png'), 'not for you');
    try {
      await worker(redis.url, process.env, ['--concurrency', '1', '--log-interval', '250', '--shared-dir', shared]);
      const { ref } = describeFilter(loadFilter('invert'));
      const png = readFileSync(inputs[0]);
      const base = (seq: number): ImageJobData => ({
        v: PROTOCOL_VERSION, run: keys.runId, seq, transport: 'bytes', name: `image-${seq}.png`, inputBytes: png.length, ext: '.png',
        filter: ref, params: {}, tileSize: 256, maxPixels: 2 ** 30, filterMemoryMb: 256, tileTimeoutMs: 5000, ttlMs: 60_000,
      });
      const forged: Array<[ImageJobData, RegExp]> = [
        [{ ...base(0), run: 'someoneelse' }, /run \(not the queue it came from\)/],
        [{ ...base(1), transport: 'shared', input: '../outside.png', output: 'out/x.png' }, /path \(must stay inside the shared directory\)/],
        [{ ...base(2), transport: 'shared', input: join(tmp.dir, 'outside.png'), output: 'out/x.png' }, /path \(must stay inside the shared directory\)/],
        [{ ...base(3), ttlMs: 1e12 }, /malformed image job: ttlMs/],
        [{ ...base(4), params: { sigma: 7 } }, /filter invert has no param "sigma"/],
        [{ ...base(5), inputBytes: png.length + 1 }, /its input has \d+ bytes in Redis, the job says \d+/],
        [{ ...base(6), filter: { ...ref, plain: 'f'.repeat(128) } }, /not in Redis|do not match/],
        [{ ...base(7), filterMemoryMb: -1 }, /filterMemoryMb/],
        [{ ...base(8), ext: '/../../x' }, /malformed image job: ext/],
      ];
      // A good job asking for a 24-day TTL: it runs, and its output gets the worker's TTL instead.
      const good = { ...base(9), ttlMs: 2 ** 31 - 1 };
      for (const [job] of [...forged, [good] as const]) await c.set(keys.input(job.seq), png);
      await queue.addBulk([...forged.map(([d]) => d), good].map((data) => ({ name: 'image', data, opts: { jobId: `i${data.seq}`, attempts: 1 } })));
      for (const [job, reason] of forged) {
        const state = await until(`job ${job.seq}`, async () => {
          const s = await queue.getJobState(`i${job.seq}`);
          return s === 'failed' || s === 'completed' ? s : undefined;
        });
        assert.equal(state, 'failed', `forged job ${job.seq} ran`);
        const failed = await queue.getJob(`i${job.seq}`);
        assert.match(failed!.failedReason, reason, `job ${job.seq}`);
      }
      await until('the good job', async () => ((await queue.getJobState('i9')) === 'completed' ? true : undefined));
      const ttl = await c.pttl(keys.output(9));
      assert.ok(ttl > 0 && ttl <= RUN_KEY_TTL_MS, `output TTL ${ttl} ms, at most ${RUN_KEY_TTL_MS} ms`);
      assert.equal(await c.get('victim:app:key'), 'precious');
      assert.equal(await c.pttl('victim:app:key'), -1);
      assert.equal(await c.type(RUNS_KEY), 'set');
      assert.deepEqual(readdirSync(join(shared, 'out')), [], 'nothing written through a forged path');
      assert.equal(readFileSync(join(tmp.dir, 'outside.png'), 'utf8'), 'not for you');
    } finally {
      clearInterval(beat);
      await stopWorkers();
      await queue.close();
      await retireRun(c, keys);
    }
  });

  test('with a shared secret: signed runs match local output; an unsigned or mis-keyed side is refused with a clear error', async () => {
    const redis = await server();
    const withSecret = { ...process.env, TESSERA_SECRET: SECRET };
    const local = await runCli(['run', '--filter', 'gaussian-blur', '--param', 'sigma=1.5', '--tile', '64', '--input', images, '--output', join(tmp.dir, 'signed-local'), '--no-progress']);
    assert.equal(local.code, 0, local.stderr);
    await worker(redis.url, withSecret);
    const signed = await runCli(runArgs(redis.url, join(tmp.dir, 'signed'), 'gaussian-blur', ['--param', 'sigma=1.5', '--tile', '64']), { env: withSecret, timeoutMs: NO_HANG_MS });
    assert.equal(signed.code, 0, signed.stderr);
    const a = await decodedDir(join(tmp.dir, 'signed'));
    for (const [f, px] of await decodedDir(join(tmp.dir, 'signed-local'))) assert.equal(firstDifference(a.get(f)!, px, 1), undefined, f);
    // Coordinator without the secret, worker with it.
    const unsigned = await runCli(runArgs(redis.url, join(tmp.dir, 'unsigned')), { timeoutMs: NO_HANG_MS, env: { ...process.env, TESSERA_SECRET: '' } });
    assert.equal(unsigned.code, 1, unsigned.stderr);
    assert.match(unsigned.stderr, /unsigned job refused: this worker has a shared secret/);
    await stopWorkers();
    // Worker without, coordinator with.
    await worker(redis.url, { ...process.env, TESSERA_SECRET: '' });
    const noWorkerSecret = await runCli(runArgs(redis.url, join(tmp.dir, 'signed-2')), { env: withSecret, timeoutMs: NO_HANG_MS });
    assert.equal(noWorkerSecret.code, 1);
    assert.match(noWorkerSecret.stderr, /the job is signed but this worker has no shared secret/);
    await stopWorkers();
    // A secret too short to resist guessing is a usage error before anything starts.
    const short = await runCli(runArgs(redis.url, join(tmp.dir, 'short'), 'invert', ['--secret', 'abc']));
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 16 characters/);
    await assertNoTesseraKeys(client(redis.url));
  });

  test('a forged output is refused and the image sent again, three times, then the image fails naming the cause and writes nothing', async () => {
    const redis = await server();
    const c = client(redis.url);
    const seen = new Map<number, number>();
    let fake: Worker | undefined;
    // A rogue "worker" without the secret: answers every image with garbage and a made-up MAC.
    const watcher = setInterval(() => {
      void c.smembers(RUNS_KEY).then((ids) => {
        if (fake || ids.length === 0) return;
        const keys = new RunKeys(ids[0]);
        fake = new Worker<ImageJobData>(QUEUE_NAME, async (job) => {
          seen.set(job.data.seq, (seen.get(job.data.seq) ?? 0) + 1);
          await c.set(keys.output(job.data.seq), Buffer.alloc(1000, 0x41), 'PX', 60_000);
          await c.rpush(keys.done, `${job.data.seq}\t${JSON.stringify({ width: 1, height: 1, layout: 'rgb', channels: 3, tiles: 1, ms: 1, worker: 'rogue' })}`);
        }, { connection: { url: redis.url, maxRetriesPerRequest: null } as never, prefix: keys.prefix });
        fake.on('error', () => {});
      });
    }, 50);
    try {
      const r = await runCli(['run', '--filter', 'invert', '--tile', '4096', '--input', inputs[0], '--output', join(tmp.dir, 'forged'), '--backend', 'queue', '--redis', redis.url, '--no-progress'], {
        env: { ...process.env, TESSERA_SECRET: SECRET },
        timeoutMs: NO_HANG_MS,
      });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /failed authentication 3 times and was refused/);
      assert.equal(seen.get(0), 3, 'the image was sent again after each refused output, three times in all');
      assert.deepEqual(readdirSync(join(tmp.dir, 'forged')).filter((f) => !f.startsWith('.')), [], 'no output written from forged bytes');
    } finally {
      clearInterval(watcher);
      await fake?.close();
    }
  });

  test('ACL users with passwords and TLS (rediss://) work; wrong credentials and an unknown CA fail fast, exit 3, saying what to do', async () => {
    const acl = await server({ args: ['--user', 'default', 'off', '--user', 'tessera', 'on', '>tessera-pass-123', '~tessera:*', '&tessera:*', '+@all', '-@dangerous', '+info', '+client'] });
    const url = `redis://tessera:tessera-pass-123@127.0.0.1:${acl.port}`;
    await worker(url);
    const ok = await runCli(runArgs(url, join(tmp.dir, 'acl')), { timeoutMs: NO_HANG_MS });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(readdirSync(join(tmp.dir, 'acl')).length, inputs.length);
    assert.doesNotMatch(ok.stderr, /tessera-pass-123/, 'the password is never printed');
    const wrong = await runCli(runArgs(`redis://tessera:nope@127.0.0.1:${acl.port}`, join(tmp.dir, 'acl-wrong')), { timeoutMs: NO_HANG_MS });
    assert.equal(wrong.code, 3, wrong.stderr);
    assert.match(wrong.stderr, /refused tessera: WRONGPASS.*redis:\/\/USER:PASSWORD@HOST:PORT/s);
    await stopWorkers();

    const certs = join(tmp.dir, 'tls');
    execFileSync('mkdir', ['-p', certs]);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tessera test CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(certs, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf');
    const tls = await server({ tls: true, args: ['--tls-cert-file', join(certs, 'srv.pem'), '--tls-key-file', join(certs, 'srv.key'), '--tls-ca-cert-file', join(certs, 'ca.pem'), '--tls-auth-clients', 'no'] });
    assert.match(tls.url, /^rediss:/);
    const trusted = { ...process.env, NODE_EXTRA_CA_CERTS: join(certs, 'ca.pem') };
    await worker(tls.url, trusted);
    const over = await runCli(runArgs(tls.url, join(tmp.dir, 'tls-out')), { env: trusted, timeoutMs: NO_HANG_MS });
    assert.equal(over.code, 0, over.stderr);
    assert.equal(readdirSync(join(tmp.dir, 'tls-out')).length, inputs.length);
    const untrusted = await runCli(runArgs(tls.url, join(tmp.dir, 'tls-untrusted')), { timeoutMs: NO_HANG_MS, env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
    assert.equal(untrusted.code, 3, untrusted.stderr);
    assert.match(untrusted.stderr, /over TLS: self[- ]signed certificate.*NODE_EXTRA_CA_CERTS/s);
    await stopWorkers();
  });

  test('Redis restarted mid-run (no persistence): what it lost is resubmitted, every image is written and identical, nothing left', async (ctx) => {
    const first = await server();
    const port = first.port;
    await worker(first.url);
    await worker(first.url);
    const out = join(tmp.dir, 'restart');
    let finished = false;
    const run = runCli(runArgs(first.url, out, spinFilter, ['--param', 'spin=150', '--tile', '64']), { timeoutMs: NO_HANG_MS }).finally(() => (finished = true));
    const c = client(first.url, { retryStrategy: () => 50 });
    // Restart while the workers are in the middle of their images.
    await until('images in progress', async () => ((await c.llen(`tessera:run:${(await c.smembers(RUNS_KEY))[0] ?? 'x'}:images:active`)) > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(finished, false, 'the run was still going when Redis was restarted');
    const t = performance.now();
    first.process.kill('SIGKILL');
    await new Promise((r) => first.process.once('exit', r));
    const second = await server({ port });
    ctx.diagnostic(`Redis down for ${(performance.now() - t).toFixed(0)} ms`);
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const got = await decodedDir(out);
    assert.equal(got.size, inputs.length);
    for (const file of inputs) {
      const src = await decodeImage(file);
      assert.equal(firstDifference(got.get(file.split('/').pop()!)!, src.data, src.width), undefined, `${file}: spin is the identity`);
    }
    await assertNoTesseraKeys(client(second.url));
    await stopWorkers();
  });

  test('a coordinator killed mid-run with no worker left to sweep leaves only keys with a TTL', async () => {
    const redis = await server();
    const c = client(redis.url);
    let child: ChildProcess | undefined;
    const run = runCli(runArgs(redis.url, join(tmp.dir, 'killed')), { timeoutMs: NO_HANG_MS, onSpawn: (ch) => (child = ch) });
    // No worker: the jobs wait. Kill once the queue holds them.
    await until('queued jobs', async () => ((await tesseraKeys(c)).some((k) => /:images:i\d+$/.test(k)) ? true : undefined));
    // The coordinator gives BullMQ's new keys their TTL right after enqueueing (a few ms): a
    // kill inside that window is the one gap, see docs/design.md.
    await new Promise((r) => setTimeout(r, 300));
    child!.kill('SIGKILL');
    await run;
    const keys = await tesseraKeys(c);
    assert.ok(keys.length > 0, 'the run left keys (a killed coordinator cannot sweep)');
    for (const k of keys) {
      const ttl = await c.pttl(k);
      assert.ok(ttl > 0 && ttl <= RUN_KEY_TTL_MS, `${k}: TTL ${ttl} ms`);
    }
    assert.ok(keys.includes(RUNS_KEY), 'the registry is among them, with a TTL too');
  });
});
