/**
 * The queue backend end to end: a private redis-server, `tessera worker` processes, and
 * `tessera run --backend queue` — identical pixels, surviving a SIGKILLed worker, no keys
 * left behind, a trapping filter failing after bounded retries, unreachable Redis failing
 * fast, a worker refusing a job of another filter ABI.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import wabt from 'wabt';
import { generateSynthDataset } from 'tessera-bench/dataset/synth';
import type { QueueExecutor } from '../../src/queue/coordinator.js';
import { applyReference } from '../../src/reference/apply-reference.js';
import { decodeImage } from '../../src/io/decode.js';
import { Session } from '../../src/pipeline/session.js';
import { findRedisServer, startLocalRedis, type LocalRedis } from '../../src/queue/local-redis.js';
import { refuseReason, type TileJobData } from '../../src/queue/protocol.js';
import { appendCustomSection } from '../../src/filter/binary.js';
import { loadFilter } from '../../src/filter/filter-module.js';
import { MANIFEST_SECTION } from '../../src/filter/manifest.js';
import { resolveParams } from '../../src/filter/params.js';
import { CLI, firstDifference, runCli, tempDir } from '../helpers/index.js';

const HAVE_REDIS = findRedisServer() !== undefined;

if (!HAVE_REDIS && process.env.CI) {
  test('redis-server is installed (needed by the queue backend tests)', () => {
    assert.fail('redis-server not found on PATH: install it (apt-get install redis-server) so CI runs the queue tests');
  });
}

describe('queue backend', { skip: HAVE_REDIS ? false : 'redis-server is not installed; skipping the queue backend tests' }, () => {
  const tmp = tempDir('tessera-queue-');
  let redis: LocalRedis;
  let client: Redis;
  let images: string;
  let inputs: string[];
  let spinFilter: string;
  let trapFilter: string;
  const workers: ChildProcess[] = [];

  /** Starts `tessera worker`; resolves once it serves. */
  function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [CLI, 'worker', '--redis', redis.url, '--concurrency', '1', '--log-interval', '250'], { stdio: ['ignore', 'ignore', 'pipe'] });
    workers.push(child);
    let log = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start: ${log}`)), 10_000);
      child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('serving')) {
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.once('exit', () => reject(new Error(`worker exited: ${log}`)));
    }).then(() => {
      child.stderr!.resume();
      child.removeAllListeners('exit');
      return child;
    });
  }

  const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

  async function tesseraKeys(): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', 'tessera:*', 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  }

  /** No tessera key left (a worker leaving a run may touch a key with a 1 s TTL: wait for it). */
  async function assertNoKeys(): Promise<void> {
    let keys: string[] = [];
    for (let i = 0; i < 30; i++) {
      keys = await tesseraKeys();
      if (keys.length === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(keys, [], 'keys left in Redis after the run');
  }

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
    const w = await wabt();
    const wat = (name: string, body: string, manifest?: object) => {
      const text = `(module
        (import "env" "memory" (memory 1))
        (func (export "tessera_abi") (result i32) i32.const 1)
        (func (export "halo") (param i32 i32 i32 i32) (result i32) i32.const 0)
        (func (export "filter") (param $src i32) (param $ss i32) (param $dst i32) (param $ds i32) (param $w i32) (param $h i32)
          (param $scratch i32) (param $spin i32) (param i32 i32 i32) (local $y i32) (local $i i32) ${body}))`;
      let bytes: Uint8Array = w.parseWat(`${name}.wat`, text, { bulk_memory: true }).toBinary({}).buffer;
      if (manifest) bytes = appendCustomSection(bytes, MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(manifest)));
      const file = join(tmp.dir, `${name}.wasm`);
      writeFileSync(file, bytes);
      return file;
    };
    // Identity, plus a busy loop of `spin` × 100k iterations per tile: slow enough to kill a worker mid-run.
    spinFilter = wat(
      'spin',
      `(block $done (loop $rows
        (br_if $done (i32.ge_u (local.get $y) (local.get $h)))
        (memory.copy (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $ds)))
                     (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $ss)))
                     (i32.mul (local.get $w) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows)))
      (local.set $i (i32.mul (local.get $spin) (i32.const 100000)))
      (block $s (loop $l
        (br_if $s (i32.eqz (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $l)))`,
      { name: 'spin', params: [{ name: 'spin', type: 'int', default: 0, min: 0, max: 10000 }] },
    );
    trapFilter = wat('trap', 'unreachable');
    await Promise.all([startWorker(), startWorker(), startWorker()]);
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

  test('SIGKILL of a worker mid-run: its tiles are run by the others, output complete and identical', async (ctx) => {
    const t_diagnostic = (m: string) => ctx.diagnostic(m);
    const args = (out: string) => ['run', '--filter', spinFilter, '--param', 'spin=300', '--tile', '128', '--input', images, '--output', out, '--backend', 'queue', '--redis', redis.url, '--no-progress'];
    let t = performance.now();
    const base = await runCli(args(join(tmp.dir, 'out-base')));
    const baseMs = performance.now() - t;
    assert.equal(base.code, 0, base.stderr);
    t = performance.now();
    const victim = workers.find(alive)!;
    let finished = false;
    const run = runCli(args(join(tmp.dir, 'out-kill'))).finally(() => (finished = true));
    // Kill once the victim reports tiles of this run (it has more in hand then).
    await new Promise<void>((resolve) => {
      const onLog = (d: Buffer) => {
        if (/\d+ tiles in/.test(d.toString())) {
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
    assert.ok(killedMs <= baseMs + 10_000, `recovery took too long: ${killedMs.toFixed(0)} ms vs ${baseMs.toFixed(0)} ms without the kill`);
    const a = await decodedDir(join(tmp.dir, 'out-kill'));
    const b = await decodedDir(join(tmp.dir, 'out-base'));
    assert.equal(a.size, inputs.length);
    for (const [f, px] of b) assert.equal(firstDifference(a.get(f)!, px, 1), undefined, f);
    await startWorker(); // back to three for the next tests
    await assertNoKeys();
  });

  test('a trapping filter fails the run naming filter, image and tile, after bounded retries', async () => {
    const t = performance.now();
    const r = await runCli(['run', '--filter', trapFilter, '--input', inputs[0], '--output', join(tmp.dir, 'out-trap'), '--backend', 'queue', '--redis', redis.url, '--no-progress']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /kodim01\.png|synth/);
    assert.match(r.stderr, new RegExp(`${inputs[0].split('/').pop()!.replace('.', '\\.')}: filter .*trap\\.wasm failed on tile \\d+ \\(x=\\d+ y=\\d+`));
    assert.match(r.stderr, /WebAssembly trap: unreachable/);
    assert.match(r.stderr, /attempt 3 of 3/);
    assert.ok(performance.now() - t < 15_000, 'bounded retries finish quickly');
    await assertNoKeys();
  });

  test('a worker refuses a job for another filter ABI instead of producing wrong pixels', async () => {
    const data = { v: 1, filter: { abi: 2, label: 'x.wasm' }, width: 4, height: 4, halo: 0 } as unknown as TileJobData;
    assert.match(refuseReason(data, 1)!, /needs filter ABI 2 but this worker implements ABI 1/);
    const session = new Session({ filter: 'invert', backend: 'queue', redis: redis.url, tileSize: 64 });
    try {
      // The queue client loads when the session starts: the coordinator sits behind a DeferredExecutor.
      const deferred = (session as unknown as { executor: { ready(): Promise<void>; loading: Promise<QueueExecutor> } }).executor;
      await deferred.ready();
      const executor = await deferred.loading;
      (executor as unknown as { jobBase: { filter: { abi: number } } }).jobBase.filter.abi = 99;
      const px = new Uint8Array(64 * 64 * 4);
      await assert.rejects(session.filterPixels(px, 64, 64, 'abi-test'), /abi-test: filter invert failed on tile 0 .*needs filter ABI 99 but this worker implements ABI 1.*attempt 1 of 3/s);
    } finally {
      await session.close();
    }
    await assertNoKeys();
  });

  test('unreachable Redis: a clear error within seconds, for run and worker', async () => {
    let t = performance.now();
    const r = await runCli(['run', '--filter', 'invert', '--input', images, '--output', join(tmp.dir, 'out-nored'), '--backend', 'queue', '--redis', 'redis://127.0.0.1:1', '--no-progress']);
    assert.ok(performance.now() - t < 6_000, `took ${(performance.now() - t).toFixed(0)} ms`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED.*Possible solutions/s);
    t = performance.now();
    const w = await runCli(['worker', '--redis', 'redis://127.0.0.1:1']);
    assert.ok(performance.now() - t < 6_000);
    assert.notEqual(w.code, 0);
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
    assert.match(log, /stopped after \d+ tiles/);
  });
});
