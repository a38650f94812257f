/**
 * Whole images as the queue's unit of work (issue 13): paths on a shared directory instead of
 * bytes through Redis, the size rule that sends big files there, big images split into band
 * jobs, and a coordinator killed mid-run and started again keeping what it had finished.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { generateSynthDataset } from 'tessera-bench/dataset/synth';
import { runCli } from '../helpers/cli.js';
import { assertNoTesseraKeys, isAlive, requireRedis, startLocalRedis, startWorker, type LocalRedis } from '../helpers/queue.js';
import { tempDir } from '../helpers/temp.js';
import { abiFilterWat, COPY_ROWS_WAT, writeSpinFilter, writeWasm } from '../helpers/wat.js';
import { decodeRgba, fromRgba, writeRandomPng } from '../helpers/image-files.js';
import { firstDifference } from '../helpers/images.js';
import { withSession } from '../helpers/session.js';
import type { SessionOptions } from '../../src/pipeline/session.js';

const NO_HANG_MS = 60_000;

describe('queue backend: whole images', { skip: requireRedis() }, () => {
  const tmp = tempDir('tessera-queue-images-');
  let redis: LocalRedis;
  let client: Redis;
  const workers: ChildProcess[] = [];
  let shared: string;
  let inputs: string[];
  let spinFilter: string;

  before(async () => {
    redis = await startLocalRedis();
    client = new Redis(redis.url);
    shared = join(tmp.dir, 'shared');
    mkdirSync(join(shared, 'in'), { recursive: true });
    inputs = await generateSynthDataset({ outDir: join(shared, 'in'), count: 4, seed: 5 });
    spinFilter = writeSpinFilter(tmp.dir);
    // Both workers mount the shared directory (here: the same path); they serve byte runs too.
    for (let i = 0; i < 2; i++) workers.push(await startWorker(redis.url, ['--concurrency', '1', '--log-interval', '250', '--shared-dir', shared]));
  });

  after(async () => {
    for (const w of workers) if (isAlive(w)) w.kill('SIGKILL');
    client?.disconnect();
    await redis?.stop();
    tmp.cleanup();
  });

  const queueArgs = (input: string, out: string, more: string[] = []) =>
    ['run', '--filter', 'gaussian-blur', '--param', 'sigma=2', '--input', input, '--output', out, '--backend', 'queue', '--redis', redis.url, '--no-progress', ...more];

  test('--shared-dir: images travel as paths and come out byte-identical to a local run; nothing crosses Redis but jobs', async () => {
    const local = join(tmp.dir, 'local');
    const l = await runCli(['run', '--filter', 'gaussian-blur', '--param', 'sigma=2', '--input', join(shared, 'in'), '--output', local, '--no-progress']);
    assert.equal(l.code, 0, l.stderr);
    const out = join(shared, 'out');
    const r = await runCli([...queueArgs(join(shared, 'in'), out, ['--shared-dir', shared]), '--json'], { timeoutMs: NO_HANG_MS });
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { backend: string; succeeded: number; results: Array<{ worker?: string }> };
    assert.equal(summary.backend, 'queue');
    assert.equal(summary.succeeded, inputs.length);
    assert.ok(summary.results.every((x) => x.worker), 'each image names the worker that ran it');
    for (const f of readdirSync(local)) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(local, f))), f);
    assert.deepEqual(readdirSync(out).sort(), readdirSync(local).sort(), 'no journal or temporary file left');
    await assertNoTesseraKeys(client);
  });

  test('--shared-dir refuses an input or output outside it, naming the file; bytes mode refuses a file over 256 MiB naming --shared-dir', async () => {
    const outside = join(tmp.dir, 'outside');
    mkdirSync(outside);
    copyFileSync(inputs[0], join(outside, 'a.png'));
    const r = await runCli(queueArgs(outside, join(tmp.dir, 'out-outside'), ['--shared-dir', shared]), { timeoutMs: NO_HANG_MS });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /a\.png: the input is not inside --shared-dir/);
    // A sparse 300 MB "PNG": refused from its size before a byte of it is read or sent.
    const big = join(tmp.dir, 'big');
    mkdirSync(big);
    const fd = openSync(join(big, 'huge.png'), 'w');
    ftruncateSync(fd, 300 * 2 ** 20);
    closeSync(fd);
    assert.equal(statSync(join(big, 'huge.png')).size, 300 * 2 ** 20);
    const b = await runCli(queueArgs(big, join(tmp.dir, 'out-big')), { timeoutMs: NO_HANG_MS });
    assert.equal(b.code, 1, b.stderr);
    assert.match(b.stderr, /huge\.png: 300 MiB is over the 256 MiB an image may take through Redis; .*--shared-dir/);
    await assertNoTesseraKeys(client);
  });

  test('a big image is split into band jobs that run on every worker: byte-identical to a local run; a failing band fails the image naming its tile, and writes nothing', async () => {
    const dir = join(tmp.dir, 'split');
    for (const d of ['in', 'local', 'queue', 'whole', 'in-bad', 'out-bad']) mkdirSync(join(dir, d), { recursive: true });
    const file = await writeRandomPng(join(dir, 'in', 'tall.png'), 700, 900, 11);
    const cut: SessionOptions = { filter: 'gaussian-blur', params: { sigma: 2 }, tileSize: 64, bandRows: 128 };
    const local = await withSession({ ...cut, workers: 1 }, (s) => s.run([file], join(dir, 'local')));
    const remote = await withSession({ ...cut, backend: 'queue', redis: redis.url, splitAbovePixels: 0 }, (s) => s.run([file], join(dir, 'queue')));
    assert.equal(remote.succeeded, 1, remote.results[0].error);
    const r = remote.results[0];
    assert.equal(r.bandRows, 128, 'streamed in bands of 128 rows');
    assert.equal(r.tiles, local.results[0].tiles);
    assert.equal(new Set(r.worker!.split(',')).size, 2, `bands ran on both workers (${r.worker})`);
    assert.ok(readFileSync(join(dir, 'queue', 'tall.png')).equals(readFileSync(join(dir, 'local', 'tall.png'))), 'the same bytes as a local run');
    // And the same pixels as the image filtered whole, in one piece.
    const whole = await withSession({ filter: 'gaussian-blur', params: { sigma: 2 }, workers: 1 }, (s) => s.run([file], join(dir, 'whole')));
    assert.equal(whole.results[0].bandRows, undefined);
    const [a, b] = await Promise.all([decodeRgba(join(dir, 'queue', 'tall.png')), decodeRgba(join(dir, 'whole', 'tall.png'))]);
    assert.equal(firstDifference(a.data, b.data, a.width), undefined);

    // A filter that traps on a tile starting with a magenta pixel, and an image with one such tile in its third band.
    const trapper = writeWasm(dir, 'magenta-trap', abiFilterWat(`${COPY_ROWS_WAT} (if (i32.eq (i32.load (local.get $src)) (i32.const 0xffff00ff)) (then unreachable))`));
    const rgba = new Uint8Array(300 * 400 * 4).fill(40);
    for (let y = 256; y < 320; y++) for (let x = 64; x < 128; x++) rgba.set([255, 0, 255, 255], (y * 300 + x) * 4);
    const bad = join(dir, 'in-bad', 'magenta.png');
    await fromRgba(rgba, 300, 400).png().toFile(bad);
    const failed = await withSession({ filter: trapper, tileSize: 64, bandRows: 128, backend: 'queue', redis: redis.url, splitAbovePixels: 0 }, (s) => s.run([bad], join(dir, 'out-bad')));
    assert.equal(failed.failed, 1);
    // Tile 21 of a 5-column grid is the one at x=64 y=256, named in image coordinates.
    assert.match(failed.results[0].error!, /magenta\.png: filter .*magenta-trap.* failed on tile 21 \(x=64 y=256 64×64\): .*unreachable/);
    assert.deepEqual(readdirSync(join(dir, 'out-bad')).filter((f) => !f.startsWith('.')), [], 'no partial output');
    await assertNoTesseraKeys(client);
  });

  test('a coordinator killed mid-run and started again with the same command keeps the images it finished and does the rest', async () => {
    const many = join(tmp.dir, 'many');
    mkdirSync(many);
    for (let i = 0; i < 8; i++) copyFileSync(inputs[i % inputs.length], join(many, `img${i}.png`));
    const out = join(tmp.dir, 'resumed');
    const args = ['run', '--filter', spinFilter, '--param', 'spin=100', '--tile', '128', '--input', many, '--output', out, '--backend', 'queue', '--redis', redis.url, '--no-progress', '--json'];
    let child: ChildProcess | undefined;
    const first = runCli(args, { timeoutMs: NO_HANG_MS, onSpawn: (c) => (child = c) });
    // Kill once some images are written, not all.
    const end = Date.now() + 30_000;
    const written = () => readdirSync(out, { withFileTypes: true }).filter((d) => d.isFile() && !d.name.startsWith('.')).length;
    while (Date.now() < end) {
      let n = 0;
      try {
        n = written();
      } catch {
        // not created yet
      }
      if (n >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child!.kill('SIGKILL');
    await first;
    const kept = written();
    assert.ok(kept >= 2 && kept < 8, `${kept} images written before the kill`);
    assert.ok(readdirSync(out).includes('.tessera-run'), 'the journal is there');
    const second = await runCli(args, { timeoutMs: NO_HANG_MS });
    assert.equal(second.code, 0, second.stderr);
    const summary = JSON.parse(second.stdout) as { succeeded: number; skipped: number };
    assert.equal(summary.succeeded, 8);
    assert.ok(summary.skipped >= kept - 1 && summary.skipped <= kept, `kept ${summary.skipped} of the ${kept} written (one may have been cut by the kill before the journal took it)`);
    for (let i = 0; i < 8; i++) assert.ok(readFileSync(join(out, `img${i}.png`)).length > 0);
    assert.ok(!readdirSync(out).includes('.tessera-run'), 'a run that wrote every image removes its journal');
    // The workers sweep the killed run's keys once its heartbeat key expires (≤ 10 s).
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await client.keys('tessera:*')).length > 0) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await client.keys('tessera:*'), []);
  });
});
