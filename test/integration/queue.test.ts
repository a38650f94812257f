/**
 * The queue backend end to end: a private redis-server, `tessera worker` processes, and
 * `tessera run --backend queue` — whole images on the workers, identical pixels, surviving a
 * SIGKILLed worker, no keys left behind, a trapping filter failing its image at once (a
 * verdict, not retried), unreachable Redis failing instead of waiting, a worker refusing a
 * job of another filter ABI.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { generateSynthDataset } from 'tessera-bench/dataset/synth';
import type { RemoteSession } from '../../src/queue/remote-session.js';
import { applyReference } from '../../src/reference/apply-reference.js';
import { decodeImage } from '../../src/io/decode.js';
import { Session } from '../../src/pipeline/session.js';
import { loadFilter } from '../../src/filter/filter-module.js';
import { resolveParams } from '../../src/filter/params.js';
import { runCli } from '../helpers/cli.js';
import { firstDifference } from '../helpers/images.js';
import { assertNoTesseraKeys, isAlive as alive, requireRedis, startLocalRedis, startWorker, type LocalRedis } from '../helpers/queue.js';
import { tempDir } from '../helpers/temp.js';
import { abiFilterWat, fillTileWat, writeSpinFilter, writeWasm } from '../helpers/wat.js';

/**
 * Hang guard for runs that must end on their own (a killed worker's images come back
 * through BullMQ's stall detection, retries are bounded, an unreachable Redis is an
 * error): far beyond how long they take, it only tells a stuck run from a finished one.
 */
const NO_HANG_MS = 30_000;

describe('queue backend', { skip: requireRedis() }, () => {
  const tmp = tempDir('tessera-queue-');
  let redis: LocalRedis;
  let client: Redis;
  let images: string;
  let inputs: string[];
  let spinFilter: string;
  let trapFilter: string;
  const workers: ChildProcess[] = [];

  /** Starts one more `tessera worker` on the private Redis. */
  const addWorker = async (): Promise<ChildProcess> => {
    const child = await startWorker(redis.url);
    workers.push(child);
    return child;
  };
  const assertNoKeys = () => assertNoTesseraKeys(client);

  async function decodedDir(dir: string): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    for (const f of readdirSync(dir).sort()) out.set(f, (await decodeImage(join(dir, f))).data);
    return out;
  }

  before(async () => {
    redis = await startLocalRedis();
    client = new Redis(redis.url);
    images = join(tmp.dir, 'images');
    inputs = await generateSynthDataset({ outDir: images, count: 3, seed: 7 });
    // Plain (not shared) memory: the copy strategy on the workers.
    const wat = (name: string, body: string, manifest?: object) => writeWasm(tmp.dir, name, abiFilterWat(body, { shared: false }), manifest);
    spinFilter = writeSpinFilter(tmp.dir);
    trapFilter = wat('trap', 'unreachable');
    await Promise.all([addWorker(), addWorker(), addWorker()]);
  });

  after(async () => {
    for (const w of workers) if (alive(w)) w.kill('SIGKILL');
    client?.disconnect();
    await redis?.stop();
    tmp.cleanup();
  });

  test('output is bit-identical to the whole-image reference, halo included, and no key is left', async () => {
    const out = join(tmp.dir, 'out-blur');
    const r = await runCli(['run', '--filter', 'gaussian-blur', '--param', 'sigma=1.5', '--tile', '100', '--input', images, '--output', out, '--backend', 'queue', '--redis', redis.url, '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    const blur = loadFilter('gaussian-blur');
    const params = resolveParams(blur.manifest, { sigma: 1.5 });
    const got = await decodedDir(out);
    for (const file of inputs) {
      const src = await decodeImage(file);
      const expected = applyReference('gaussian-blur', params, src.data, src.width, src.height);
      const diff = firstDifference(got.get(file.split('/').pop()!)!, expected, src.width);
      assert.equal(diff, undefined, `${file}: ${diff}`);
    }
    await assertNoKeys();
  });

  test('a user .wasm travels by hash; a library session over the queue matches a local one', async () => {
    const src = await decodeImage(inputs[0]);
    const queued = new Session({ filter: spinFilter, backend: 'queue', redis: redis.url, tileSize: 96 });
    const local = new Session({ filter: spinFilter, strategy: 'copy', workers: 1, tileSize: 96 });
    try {
      const a = await queued.filterPixels(src.data, src.width, src.height);
      const b = await local.filterPixels(src.data, src.width, src.height);
      assert.equal(firstDifference(a, b, src.width), undefined);
      assert.equal(firstDifference(a, src.data, src.width), undefined, 'spin is the identity');
    } finally {
      await queued.close();
      await local.close();
    }
    await assertNoKeys();
  });

  test('SIGKILL of a worker mid-run: its images are run by the others, output complete and identical', async (ctx) => {
    const t_diagnostic = (m: string) => ctx.diagnostic(m);
    // More images than workers, so the victim holds unfinished ones when it is killed.
    const many = join(tmp.dir, 'many');
    mkdirSync(many);
    for (let i = 0; i < 9; i++) copyFileSync(inputs[i % inputs.length], join(many, `img${i}.png`));
    const args = (out: string) => ['run', '--filter', spinFilter, '--param', 'spin=300', '--tile', '128', '--input', many, '--output', out, '--backend', 'queue', '--redis', redis.url, '--no-progress'];
    let t = performance.now();
    const base = await runCli(args(join(tmp.dir, 'out-base')), { timeoutMs: NO_HANG_MS });
    const baseMs = performance.now() - t;
    assert.equal(base.code, 0, base.stderr);
    t = performance.now();
    const victim = workers.find(alive)!;
    let finished = false;
    // The victim's images come back through stall detection (seconds, see src/queue/keys.ts),
    // not a 30 s lock: a run still going after NO_HANG_MS lost them.
    const run = runCli(args(join(tmp.dir, 'out-kill')), { timeoutMs: NO_HANG_MS }).finally(() => (finished = true));
    // Kill once the victim reports images of this run (it has more in hand then).
    await new Promise<void>((resolve) => {
      const onLog = (d: Buffer) => {
        if (/\d+ images in/.test(d.toString())) {
          victim.stderr!.off('data', onLog);
          resolve();
        }
      };
      victim.stderr!.on('data', onLog);
    });
    assert.equal(finished, false, 'the run was still going when the worker was killed');
    victim.kill('SIGKILL');
    const killed = await run;
    const killedMs = performance.now() - t;
    t_diagnostic(`run without a kill ${baseMs.toFixed(0)} ms, with a worker SIGKILLed mid-run ${killedMs.toFixed(0)} ms`);
    assert.equal(killed.code, 0, killed.stderr);
    const a = await decodedDir(join(tmp.dir, 'out-kill'));
    const b = await decodedDir(join(tmp.dir, 'out-base'));
    assert.equal(a.size, 9);
    for (const [f, px] of b) assert.equal(firstDifference(a.get(f)!, px, 1), undefined, f);
    await addWorker(); // back to three for the next tests
    await assertNoKeys();
  });

  test('a trapping filter fails its image at once naming filter, image and tile; the other images are written', async () => {
    const out = join(tmp.dir, 'out-trap');
    const r = await runCli(['run', '--filter', trapFilter, '--input', inputs[0], '--output', out, '--backend', 'queue', '--redis', redis.url, '--no-progress'], { timeoutMs: NO_HANG_MS });
    assert.equal(r.code, 1, r.stderr);
    // Named as the coordinator names it (its path), not as the worker's temporary copy.
    assert.match(r.stderr, new RegExp(`${inputs[0].replace(/[.]/g, '\\.')}: filter .*trap\\.wasm failed on tile \\d+ \\(x=\\d+ y=\\d+`));
    assert.match(r.stderr, /WebAssembly trap: unreachable/);
    assert.doesNotMatch(r.stderr, /tessera-worker-/, 'no worker temporary path in the message');
    // A trap is a verdict on the image: it is not tried again on another worker.
    assert.doesNotMatch(r.stderr, /attempt \d/);
    assert.deepEqual(readdirSync(out).filter((f) => !f.startsWith('.')), []);
    await assertNoKeys();
  });

  test('a worker refuses a job for another filter ABI instead of producing wrong pixels', async () => {
    // refuseReason itself: unit/queue-protocol.test.ts; here a real worker refuses a real job.
    const session = new Session({ filter: 'invert', backend: 'queue', redis: redis.url, tileSize: 64 });
    try {
      // The queue side loads when the session starts; its coordinator names the filter's ABI in every job.
      const remote = await (session as unknown as { remote: Promise<RemoteSession> }).remote;
      await remote.ready();
      (remote as unknown as { coordinator: { ref: { abi: number } } }).coordinator.ref.abi = 99;
      const px = new Uint8Array(64 * 64 * 4);
      await assert.rejects(session.filterPixels(px, 64, 64, 'abi-test'), /abi-test: filter invert needs filter ABI 99 but this worker implements ABI 1/);
    } finally {
      await session.close();
    }
    await assertNoKeys();
  });

  test('filter state never crosses images or runs: a stateful filter on pooled workers returns only each image\'s own pixels', async () => {
    // Remembers the first source pixel it ever saw (in a global) and writes it everywhere:
    // an instance carried from one image (or run) to the next would paint the next with the last one's colour.
    const body = `(local $y i32) (local $x i32)
      (if (i32.eqz (global.get $seen)) (then (global.set $seen (i32.or (i32.load (local.get $src)) (i32.const 0xff000000)))))
      ${fillTileWat('(global.get $seen)')}`;
    const stateful = writeWasm(tmp.dir, 'stateful', abiFilterWat(body, { shared: false, extra: '(global $seen (mut i32) (i32.const 0))' }));
    const size = 32;
    for (const run of [0, 1]) {
      const session = new Session({ filter: stateful, backend: 'queue', redis: redis.url, tileSize: 16 });
      try {
        for (let i = 0; i < 6; i++) {
          const colour = (0xff000000 | ((run * 6 + i + 1) * 0x0a0b0c)) >>> 0;
          const px = new Uint8Array(new Uint32Array(size * size).fill(colour).buffer);
          const out = new Uint32Array((await session.filterPixels(px, size, size, `run ${run} image ${i}`)).slice().buffer);
          const foreign = out.find((v) => v !== colour);
          assert.equal(foreign, undefined, `run ${run} image ${i}: found 0x${foreign?.toString(16)} from another image, expected only 0x${(colour >>> 0).toString(16)}`);
        }
      } finally {
        await session.close();
      }
    }
    await assertNoKeys();
  });

  test('unreachable Redis: a clear error instead of waiting for it, for run and worker', async () => {
    // Both give up on the refused connection (no reconnect loop): the hang guard only catches one that waits forever.
    const r = await runCli(['run', '--filter', 'invert', '--input', images, '--output', join(tmp.dir, 'out-nored'), '--backend', 'queue', '--redis', 'redis://127.0.0.1:1', '--no-progress'], { timeoutMs: NO_HANG_MS });
    assert.equal(r.code, 3, `exit 3 is "Redis unreachable" (src/errors.ts)\n${r.stderr}`);
    assert.match(r.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED.*Possible solutions/s);
    const w = await runCli(['worker', '--redis', 'redis://127.0.0.1:1'], { timeoutMs: NO_HANG_MS });
    assert.equal(w.code, 3, w.stderr);
    assert.match(w.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    const usage = await runCli(['run', '--filter', 'invert', '--input', images, '--output', join(tmp.dir, 'out-nourl'), '--backend', 'queue']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /needs a Redis URL: --redis/);
  });

  test('workers stop gracefully on SIGTERM', async () => {
    const w = workers.find(alive)!;
    let log = '';
    w.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => w.once('exit', (code) => resolve(code)));
    w.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(log, /stopped after \d+ images/);
  });
});
